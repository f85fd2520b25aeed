using LearnedOpt.Backends;
using LearnedOpt.Optimizers;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tests.Optimizers;

[Trait("tier", "cpu")]
public class OptimizerValidationTests
{
    [Theory]
    [InlineData("lr", float.NaN)]
    [InlineData("lr", -1f)]
    [InlineData("eps", float.PositiveInfinity)]
    [InlineData("beta1", 1f)]
    [InlineData("beta2", -0.1f)]
    [InlineData("weight-decay", -0.5f)]
    public void BadHyperparameterIsRejectedNamingIt(string name, float value)
    {
        var hp = HyperParameters.Defaults(OptimizerKind.Adam);
        hp = name switch
        {
            "lr" => hp with { Lr = value },
            "eps" => hp with { Eps = value },
            "beta1" => hp with { Beta1 = value },
            "beta2" => hp with { Beta2 = value },
            _ => hp with { WeightDecay = value },
        };
        using var backend = new CpuBackend();
        var e = Assert.Throws<ArgumentException>(() => new HandDesignedOptimizer(OptimizerKind.Adam, backend, [new TensorSpec("w", 2)], hp));
        Assert.Equal(name, e.ParamName);
        Assert.Contains(name, e.Message);
        Assert.Contains(value.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message.Replace("∞", "Infinity"));
    }

    [Fact]
    public void LengthMismatchNamesTheTensor()
    {
        using var backend = new CpuBackend();
        using var opt = new HandDesignedOptimizer(OptimizerKind.Sgd, backend, [new TensorSpec("layer/w", 4)], HyperParameters.Defaults(OptimizerKind.Sgd));
        var e = Assert.Throws<ArgumentException>(() => opt.Step(new float[4], new float[3]));
        Assert.Contains("layer/w", e.Message);
        Assert.Contains("3", e.Message);
        Assert.Equal("gradients", e.ParamName);
    }

    [Fact]
    public unsafe void DeviceMemoryOnTheCpuBackendIsRejected()
    {
        using var backend = new CpuBackend();
        using var opt = new HandDesignedOptimizer(OptimizerKind.Sgd, backend, [new TensorSpec("w", 4)], HyperParameters.Defaults(OptimizerKind.Sgd));
        var host = new float[4];
        fixed (float* h = host)
        {
            var hostView = TensorView.Host(h, 4);
            var e = Assert.Throws<ArgumentException>(() => opt.Step([TensorView.Device(0x1000, 4)], [hostView]));
            Assert.Contains("CudaDevice", e.Message);
        }
    }

    [Fact]
    public void NullPointerIsRejected()
    {
        using var backend = new CpuBackend();
        using var opt = new HandDesignedOptimizer(OptimizerKind.Sgd, backend, [new TensorSpec("w", 4)], HyperParameters.Defaults(OptimizerKind.Sgd));
        Assert.Throws<ArgumentNullException>(() => opt.Step([new TensorView(0, 4, MemoryLocation.Host)], [new TensorView(0, 4, MemoryLocation.Host)]));
    }

    [Fact]
    public void DuplicateTensorNamesAreRejected()
    {
        using var backend = new CpuBackend();
        var e = Assert.Throws<ArgumentException>(() => new HandDesignedOptimizer(OptimizerKind.Sgd, backend, [new TensorSpec("w", 1), new TensorSpec("w", 2)], HyperParameters.Defaults(OptimizerKind.Sgd)));
        Assert.Contains("'w'", e.Message);
    }

    [Fact]
    public void LoadingStateWithWrongShapeNamesTheTensor()
    {
        using var backend = new CpuBackend();
        using var small = new HandDesignedOptimizer(OptimizerKind.Adam, backend, [new TensorSpec("w", 3)], HyperParameters.Defaults(OptimizerKind.Adam));
        using var big = new HandDesignedOptimizer(OptimizerKind.Adam, backend, [new TensorSpec("w", 4)], HyperParameters.Defaults(OptimizerKind.Adam));
        var path = Path.Combine(Path.GetTempPath(), $"lopt-{Guid.NewGuid():N}.safetensors");
        try
        {
            small.SaveState(path);
            var e = Assert.Throws<InvalidDataException>(() => big.LoadState(path));
            Assert.Contains("w/exp_avg", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static TheoryData<string, OptimizerKind, string, float> BadTorchFlags() => new()
    {
        { "dampening", OptimizerKind.Momentum, "dampening", -0.1f },
        { "dampening", OptimizerKind.Momentum, "dampening", 1.5f },
        { "dampening", OptimizerKind.Momentum, "dampening", float.NaN },
        { "lr-decay", OptimizerKind.Adagrad, "lr-decay", -1e-3f },
        { "initial-accumulator", OptimizerKind.Adagrad, "initial-accumulator", -0.5f },
        { "initial-accumulator", OptimizerKind.Adagrad, "initial-accumulator", float.PositiveInfinity },
        { "momentum-decay", OptimizerKind.NAdam, "momentum-decay", -4e-3f },
        { "beta2", OptimizerKind.RAdam, "beta2", 1f },
        { "eps", OptimizerKind.Adamax, "eps", -1e-8f },
    };

    [Theory]
    [MemberData(nameof(BadTorchFlags))]
    public void BadTorchFlagIsRejectedNamingItAndItsValue(string flag, OptimizerKind kind, string name, float value)
    {
        var hp = HyperParameters.Defaults(kind);
        hp = flag switch
        {
            "dampening" => hp with { Dampening = value },
            "lr-decay" => hp with { LrDecay = value },
            "initial-accumulator" => hp with { InitialAccumulator = value },
            "momentum-decay" => hp with { MomentumDecay = value },
            "beta2" => hp with { Beta2 = value },
            _ => hp with { Eps = value },
        };
        using var backend = new CpuBackend();
        var e = Assert.Throws<ArgumentException>(() => OptimizerFactory.Create(kind, backend, [new TensorSpec("w", 2)], hp));
        Assert.Equal(name, e.ParamName);
        Assert.Contains(name, e.Message);
        Assert.Contains(value.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message.Replace("∞", "Infinity"));
    }

    public static TheoryData<OptimizerKind, string> FlagsOnTheWrongOptimizer() => new()
    {
        { OptimizerKind.Sgd, "amsgrad" },
        { OptimizerKind.NAdam, "amsgrad" },
        { OptimizerKind.Adam, "centered" },
        { OptimizerKind.Adam, "dampening" },
        { OptimizerKind.RmsProp, "lr-decay" },
        { OptimizerKind.Adam, "initial-accumulator" },
        { OptimizerKind.Adam, "decoupled-weight-decay" },
    };

    [Theory]
    [MemberData(nameof(FlagsOnTheWrongOptimizer))]
    public void TorchFlagOnAnOptimizerWithoutItIsRejected(OptimizerKind kind, string flag)
    {
        var hp = HyperParameters.Defaults(kind);
        hp = flag switch
        {
            "amsgrad" => hp with { Amsgrad = true },
            "centered" => hp with { Centered = true },
            "dampening" => hp with { Dampening = 0.1f },
            "lr-decay" => hp with { LrDecay = 0.1f },
            "initial-accumulator" => hp with { InitialAccumulator = 0.1f },
            _ => hp with { DecoupledWeightDecay = true },
        };
        using var backend = new CpuBackend();
        var e = Assert.Throws<ArgumentException>(() => OptimizerFactory.Create(kind, backend, [new TensorSpec("w", 2)], hp));
        Assert.Equal(flag, e.ParamName);
        Assert.Contains(OptimizerNames.Name(kind), e.Message);
    }

    [Fact]
    public void NesterovWithDampeningIsRejected()
    {
        var hp = HyperParameters.Defaults(OptimizerKind.Nesterov) with { Dampening = 0.1f };
        using var backend = new CpuBackend();
        var e = Assert.Throws<ArgumentException>(() => new HandDesignedOptimizer(OptimizerKind.Nesterov, backend, [new TensorSpec("w", 1)], hp));
        Assert.Equal("dampening", e.ParamName);
        Assert.Contains("0.1", e.Message);
    }

    [Fact]
    public void NesterovWithoutMomentumIsRejected()
    {
        var hp = HyperParameters.Defaults(OptimizerKind.Sgd) with { Nesterov = true };
        using var backend = new CpuBackend();
        var e = Assert.Throws<ArgumentException>(() => new HandDesignedOptimizer(OptimizerKind.Sgd, backend, [new TensorSpec("w", 1)], hp));
        Assert.Equal("nesterov", e.ParamName);
    }
}
