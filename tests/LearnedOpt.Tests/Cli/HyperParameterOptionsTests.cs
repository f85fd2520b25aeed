using System.CommandLine;
using LearnedOpt.Cli;
using LearnedOpt.Optimizers;

namespace LearnedOpt.Tests.Cli;

[Trait("tier", "cpu")]
public class HyperParameterOptionsTests
{
    private static HyperParameters Resolve(OptimizerKind kind, params string[] args)
    {
        var options = new HyperParameterOptions();
        var cmd = new RootCommand();
        options.AddTo(cmd);
        var parse = cmd.Parse(args);
        Assert.Empty(parse.Errors);
        return options.Read(parse, kind);
    }

    [Fact]
    public void NoFlagsGiveTheOptimizersDefaults()
    {
        foreach (var kind in new[] { OptimizerKind.Sgd, OptimizerKind.Nesterov, OptimizerKind.RmsProp, OptimizerKind.AdamW, OptimizerKind.AddSign,
                                     OptimizerKind.Adagrad, OptimizerKind.Adamax, OptimizerKind.NAdam, OptimizerKind.RAdam })
            Assert.Equal(HyperParameters.Defaults(kind), Resolve(kind));
    }

    [Fact]
    public void EveryFlagSetsItsOwnField()
    {
        var hp = Resolve(OptimizerKind.PowerSign,
            "--lr", "0.5", "--beta1", "0.8", "--beta2", "0.95", "--eps", "1e-6", "--weight-decay", "0.01",
            "--momentum", "0.7", "--alpha", "0.9", "--base", "2", "--decay", "cyclic", "--total-steps", "100", "--periods", "3");
        var expected = HyperParameters.Defaults(OptimizerKind.PowerSign) with
        {
            Lr = 0.5f, Beta1 = 0.8f, Beta2 = 0.95f, Eps = 1e-6f, WeightDecay = 0.01f, Momentum = 0.7f,
            Alpha = 0.9f, Base = 2f, Decay = SignDecay.Cyclic, TotalSteps = 100, Periods = 3f,
        };
        Assert.Equal(expected, hp);
    }

    [Fact]
    public void TorchFlagsSetTheirFields()
    {
        Assert.True(Resolve(OptimizerKind.AdamW, "--amsgrad").Amsgrad);
        Assert.True(Resolve(OptimizerKind.RmsProp, "--centered").Centered);
        Assert.Equal(0.25f, Resolve(OptimizerKind.Momentum, "--dampening", "0.25").Dampening);
        var adagrad = Resolve(OptimizerKind.Adagrad, "--lr-decay", "0.01", "--initial-accumulator", "0.1");
        Assert.Equal(HyperParameters.Defaults(OptimizerKind.Adagrad) with { LrDecay = 0.01f, InitialAccumulator = 0.1f }, adagrad);
        Assert.Equal(0.02f, Resolve(OptimizerKind.NAdam, "--momentum-decay", "0.02").MomentumDecay);
        Assert.True(Resolve(OptimizerKind.RAdam, "--decoupled-weight-decay").DecoupledWeightDecay);
        Assert.Equal(4e-3f, Resolve(OptimizerKind.NAdam).MomentumDecay); // torch.optim.NAdam's default
        Assert.Equal(1e-10f, Resolve(OptimizerKind.Adagrad).Eps);        // torch.optim.Adagrad's default
    }

    [Fact]
    public void TorchFlagOnTheWrongOptimizerOrOutOfRangeNamesTheFlag()
    {
        Assert.Equal("amsgrad", Assert.Throws<ArgumentException>(() => Resolve(OptimizerKind.RmsProp, "--amsgrad")).ParamName);
        Assert.Equal("lr-decay", Assert.Throws<ArgumentException>(() => Resolve(OptimizerKind.Adagrad, "--lr-decay", "-1")).ParamName);
        var e = Assert.Throws<ArgumentException>(() => Resolve(OptimizerKind.Sgd, "--momentum", "0.9", "--dampening", "2"));
        Assert.Equal("dampening", e.ParamName);
        Assert.Contains("2", e.Message);
    }

    [Fact]
    public void NesterovFlagAloneMeansTrue()
    {
        Assert.True(Resolve(OptimizerKind.Momentum, "--nesterov").Nesterov);
        Assert.False(Resolve(OptimizerKind.Momentum).Nesterov);
    }

    [Fact]
    public void InvalidValuesNameTheFlag()
    {
        var e = Assert.Throws<ArgumentException>(() => Resolve(OptimizerKind.Adam, "--beta2", "1"));
        Assert.Equal("beta2", e.ParamName);
        var d = Assert.Throws<CliError>(() => Resolve(OptimizerKind.PowerSign, "--decay", "fast"));
        Assert.Contains("--decay 'fast'", d.Message);
    }
}
