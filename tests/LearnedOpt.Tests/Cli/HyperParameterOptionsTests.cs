using System.CommandLine;
using LearnedOpt.Cli;
using LearnedOpt.Optimizers;

namespace LearnedOpt.Tests.Cli;

public class HyperParameterOptionsTests
{
    private static HyperParameters Resolve(OptimizerKind kind, long? runSteps, params string[] args)
    {
        var options = new HyperParameterOptions();
        var cmd = new RootCommand();
        options.AddTo(cmd);
        var parse = cmd.Parse(args);
        Assert.Empty(parse.Errors);
        return options.Resolve(parse, kind, runSteps);
    }

    [Fact]
    public void NoFlagsGiveTheOptimizersDefaults()
    {
        foreach (var kind in new[] { OptimizerKind.Sgd, OptimizerKind.Nesterov, OptimizerKind.RmsProp, OptimizerKind.AdamW, OptimizerKind.AddSign })
            Assert.Equal(HyperParameters.Defaults(kind), Resolve(kind, null));
    }

    [Fact]
    public void EveryFlagSetsItsOwnField()
    {
        var hp = Resolve(OptimizerKind.PowerSign, null,
            "--lr", "0.5", "--beta1", "0.8", "--beta2", "0.95", "--eps", "1e-6", "--weight-decay", "0.01",
            "--momentum", "0.7", "--alpha", "0.9", "--base", "2", "--decay", "cyclic", "--total-steps", "100");
        var expected = HyperParameters.Defaults(OptimizerKind.PowerSign) with
        {
            Lr = 0.5f, Beta1 = 0.8f, Beta2 = 0.95f, Eps = 1e-6f, WeightDecay = 0.01f, Momentum = 0.7f,
            Alpha = 0.9f, Base = 2f, Decay = SignDecay.Cyclic, TotalSteps = 100,
        };
        Assert.Equal(expected, hp);
    }

    [Fact]
    public void NesterovFlagAloneMeansTrueAndCanBeTurnedOff()
    {
        Assert.True(Resolve(OptimizerKind.Momentum, null, "--nesterov").Nesterov);
        Assert.False(Resolve(OptimizerKind.Nesterov, null, "--nesterov", "false").Nesterov);
    }

    [Fact]
    public void TotalStepsDefaultsToTheRunLength()
    {
        Assert.Equal(250, Resolve(OptimizerKind.AddSign, 250, "--decay", "linear").TotalSteps);
        Assert.Equal(40, Resolve(OptimizerKind.AddSign, 250, "--decay", "linear", "--total-steps", "40").TotalSteps);
    }

    [Fact]
    public void InvalidValuesNameTheFlag()
    {
        var e = Assert.Throws<ArgumentException>(() => Resolve(OptimizerKind.Adam, null, "--beta2", "1"));
        Assert.Equal("beta2", e.ParamName);
        var d = Assert.Throws<ArgumentException>(() => Resolve(OptimizerKind.PowerSign, null, "--decay", "fast"));
        Assert.Contains("--decay 'fast'", d.Message);
    }
}
