using LearnedOpt.Backends;
using LearnedOpt.Optimizers;

namespace LearnedOpt.Tests.Optimizers;

public class AdamSmokeTests
{
    [Fact]
    public void FirstAdamStepMovesEachCoordinateByLr()
    {
        using var backend = new CpuBackend();
        using var opt = new HandDesignedOptimizer(OptimizerKind.Adam, backend, [new TensorSpec("w", 3)], HyperParameters.Defaults(OptimizerKind.Adam));
        var p = new float[] { 1f, -2f, 3f };
        var g = new float[] { 0.5f, -4f, 1e-3f };
        opt.Step(p, g);
        // With bias correction the first Adam step is lr * sign(g) (up to eps).
        Assert.Equal(1f - 1e-3f, p[0], 1e-6f);
        Assert.Equal(-2f + 1e-3f, p[1], 1e-6f);
        Assert.Equal(3f - 1e-3f, p[2], 1e-5f);
    }
}
