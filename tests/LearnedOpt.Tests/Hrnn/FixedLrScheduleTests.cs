using LearnedOpt.Backends;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Randomness;
using LearnedOpt.Tensors;
using LearnedOpt.Tests.MetaTraining;

namespace LearnedOpt.Tests.Hrnn;

[Trait("tier", "cpu")]
public class FixedLrScheduleTests
{
    [Theory]
    [InlineData(3e-3, 3.0, 1000)]
    [InlineData(1e-2, 0.0, 1000)]
    [InlineData(1e-3, 2.0, 300)]
    public void TheScheduleStartsAtTheLearningRateAndFallsByEToTheMinusDOverTheHorizon(double lr, double decay, int horizon)
    {
        var w = FixedLrSchedule.Apply(ParameterGrowthTests.Shipped(), lr, decay, horizon, HrnnOptimizer.DefaultInitialLogLr);
        Assert.All(w.Get(FixedLrSchedule.LrReadoutWeights), v => Assert.Equal(0f, v));
        double first = FixedLrSchedule.LearningRate(w, 0, HrnnOptimizer.DefaultInitialLogLr);
        double last = FixedLrSchedule.LearningRate(w, horizon, HrnnOptimizer.DefaultInitialLogLr);
        // (b, o) are stored in float32: relative error ~1e-7 per unit of exponent, times the horizon's sum.
        Assert.Equal(lr, first, lr * 1e-5);
        Assert.Equal(-decay, Math.Log(last / first), 1e-3);
    }

    [Fact]
    public void TheHrnnStepMovesEachTensorByTheScheduledLearningRate()
    {
        // θ' = θ − exp(a + o)·d̂ with d̂ at unit RMS per tensor: the RMS of a step is the learning rate,
        // whatever the gradients. An independent check of the closed form against the native step.
        var w = FixedLrSchedule.Apply(ParameterGrowthTests.Shipped(), 5e-3, 3, 200, HrnnOptimizer.DefaultInitialLogLr);
        using var backend = new CpuBackend();
        const int n = 4096;
        using var opt = new HrnnOptimizer(backend, [new TensorSpec("x", [n])], w);
        var rng = new Rng(7);
        var theta = new float[n];
        var grad = new float[n];
        for (int t = 0; t < 200; t++)
        {
            for (int i = 0; i < n; i++) grad[i] = (float)(rng.NextGaussian() * (1 + i % 7));
            var before = (float[])theta.Clone();
            opt.Step(theta, grad);
            double rms = Math.Sqrt(theta.Zip(before, (a, b) => (double)(a - b) * (a - b)).Sum() / n);
            double expected = FixedLrSchedule.LearningRate(w, t, HrnnOptimizer.DefaultInitialLogLr);
            Assert.True(Math.Abs(rms / expected - 1) < 2e-3, $"step {t}: RMS {rms:G6}, schedule {expected:G6}");
        }
    }

    [Fact]
    public void BadArgumentsAreRefusedByName()
    {
        var w = ParameterGrowthTests.Shipped();
        Assert.Equal("initialLr", Assert.Throws<ArgumentOutOfRangeException>(() => FixedLrSchedule.Apply(w, 0, 1, 100, -9f)).ParamName);
        Assert.Equal("decay", Assert.Throws<ArgumentOutOfRangeException>(() => FixedLrSchedule.Apply(w, 1e-3, -1, 100, -9f)).ParamName);
        Assert.Equal("horizon", Assert.Throws<ArgumentOutOfRangeException>(() => FixedLrSchedule.Apply(w, 1e-3, 1, 0, -9f)).ParamName);
    }
}
