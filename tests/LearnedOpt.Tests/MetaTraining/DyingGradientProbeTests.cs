using LearnedOpt.Backends;
using LearnedOpt.MetaTraining;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Tests.MetaTraining;

[Trait("tier", "cpu")]
public class DyingGradientProbeTests
{
    [Fact]
    public void RunawayLogLrOnDeadCoordinatesFails()
    {
        using var backend = new CpuBackend();
        // LR readout bias +1: every coordinate's ℓ climbs by (1 − λ) per step, the dead ones included.
        var weights = ParameterGrowthTests.Shipped().With("readout/lr/w", new float[HrnnWeights.ParamHidden]).With("readout/lr/b", [1f]);
        var r = DyingGradientProbe.Run(backend, weights, 5);
        Assert.False(r.Passed);
        Assert.True(r.MaxLogLrRise > 10, $"rise {r.MaxLogLrRise}");
    }

    [Fact]
    public void ShippedWeightsFailTheProbe()
    {
        using var backend = new CpuBackend();
        var r = DyingGradientProbe.Run(backend, ParameterGrowthTests.Shipped(), 5);
        Assert.False(r.Passed, $"rise {r.MaxLogLrRise}, max |θ| {r.MaxDeadTheta} (at death {r.DeadThetaAtDeath})");
    }

    [Fact]
    public void AFixedDecayingScheduleWithoutTheLrReadoutPasses()
    {
        using var backend = new CpuBackend();
        // w_ℓ = 0 and b_ℓ < 0: ℓ falls by the same amount on every coordinate, dead or alive.
        var weights = ParameterGrowthTests.Shipped().With("readout/lr/w", new float[HrnnWeights.ParamHidden])
            .With("readout/lr/b", [-0.0431f]).With("lr/step_offset", [4.4f]);
        var r = DyingGradientProbe.Run(backend, weights, 5);
        Assert.True(r.Passed, $"rise {r.MaxLogLrRise}, max |θ| {r.MaxDeadTheta} (at death {r.DeadThetaAtDeath})");
        Assert.True(r.MaxLogLrRise < 0);
    }
}
