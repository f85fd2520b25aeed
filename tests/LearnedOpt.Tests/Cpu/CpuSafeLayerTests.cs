using LearnedOpt.Backends;
using LearnedOpt.Cpu;
using LearnedOpt.Interop;

namespace LearnedOpt.Tests.Cpu;

/// <summary>The CPU library's safe layer rejects bad arguments by name before native code sees a pointer.</summary>
[Trait("tier", "cpu")]
public class CpuSafeLayerTests
{
    [Fact]
    public void CoefficientsNeedAKnownKindAndAStepFromOne()
    {
        var hp = new LoptHParams { Lr = 0.1f, Beta1 = 0.9f, Beta2 = 0.999f, Eps = 1e-8f };
        Assert.Equal("step", Assert.Throws<ArgumentOutOfRangeException>(() => CpuOptimizers.Coefficients(NativeOptimizer.Adam, hp, 0)).ParamName);
        Assert.Equal("kind", Assert.Throws<ArgumentOutOfRangeException>(() => CpuOptimizers.Coefficients((NativeOptimizer)99, hp, 1)).ParamName);
        // Adam keeps two state tensors (exp_avg, exp_avg_sq).
        Assert.Equal(2, CpuOptimizers.Coefficients(NativeOptimizer.Adam, hp, 1).StateCount);
    }

    [Fact]
    public void StepAndCopyNameTheTensorThatDoesNotFit()
    {
        using var backend = BackendSelector.CreateCpu();
        using var p = backend.Allocate(4);
        using var g = backend.Allocate(3);
        var coef = new LoptCoef { Lr = 0.1f };
        var none = TensorView.None(MemoryLocation.Host);
        var e = Assert.Throws<ArgumentException>(() => CpuOptimizers.Step(NativeOptimizer.Sgd, coef, p.View, g.View, none, none, none));
        Assert.Equal("gradients", e.ParamName);
        Assert.Contains("3", e.Message);
        var device = TensorView.Device(0x1000, 4);
        Assert.Equal("source", Assert.Throws<ArgumentException>(() => CpuOptimizers.Copy(p.View, device)).ParamName);
    }

    [Fact]
    public void ProblemLaunchersCheckEveryLength()
    {
        var theta = new float[2 * 2];
        var loss = new float[2];
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => CpuProblems.Bowl(2, new float[7], theta, loss, default, default, default)).ParamName);
        Assert.Equal("loss", Assert.Throws<ArgumentException>(() => CpuProblems.Bowl(2, new float[8], theta, new float[3], default, default, default)).ParamName);
        Assert.Equal("hv", Assert.Throws<ArgumentException>(() => CpuProblems.Bowl(2, new float[8], theta, default, default, new float[4], default)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => CpuProblems.Quadratic(2, 3, new float[18], new float[5], new float[6], default, default, default, default)).ParamName);
        Assert.Equal("theta", Assert.Throws<ArgumentException>(() => CpuProblems.MatMul(1, 2, 5, new float[39], default, default, default, default)).ParamName);
    }

    [Fact]
    public void TheCpuFactoryRejectsANegativeThreadCount()
        => Assert.Equal("threads", Assert.Throws<ArgumentOutOfRangeException>(() => BackendSelector.CreateCpu(-1)).ParamName);
}
