using LearnedOpt.Optim;

namespace LearnedOpt.Tests.Optim;

using Optimizers = LearnedOpt.Optim.Optimizers;

/// <summary>Each schedule against its closed form, written out here independently.</summary>
[Trait("tier", "cpu")]
public class LearningRateScheduleTests
{
    [Fact]
    public void ConstantIsOneEverywhere()
    {
        var s = LearningRateSchedule.Constant();
        foreach (var t in new long[] { 0, 1, 7, 1_000_000 }) Assert.Equal(1.0, s.Factor(t));
    }

    [Fact]
    public void LinearWarmupRisesByOneOverWThenHandsOver()
    {
        var warm = LearningRateSchedule.LinearWarmup(4);
        Assert.Equal([0.25, 0.5, 0.75, 1.0, 1.0, 1.0], Enumerable.Range(0, 6).Select(t => warm.Factor(t)));

        // After 2 warm-up steps a 10-step cosine starts from its own step 0.
        var warmCosine = LearningRateSchedule.LinearWarmup(2, LearningRateSchedule.Cosine(10));
        Assert.Equal(0.5, warmCosine.Factor(0));
        Assert.Equal(1.0, warmCosine.Factor(2), 15);
        Assert.Equal(0.5, warmCosine.Factor(7), 15);   // cosine step 5 of 10: (1 + cos(π/2)) / 2
        Assert.Equal(0.0, warmCosine.Factor(12), 15);
    }

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(25, 0.1 + 0.9 * (1 + 0.70710678118654752) / 2)]
    [InlineData(50, 0.55)]
    [InlineData(75, 0.1 + 0.9 * (1 - 0.70710678118654752) / 2)]
    [InlineData(100, 0.1)]
    [InlineData(150, 0.1)]
    public void CosineFollowsHalfACosineDownToTheMinimum(long step, double expected)
        => Assert.Equal(expected, LearningRateSchedule.Cosine(100, minFactor: 0.1).Factor(step), 12);

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(9, 1.0)]
    [InlineData(10, 0.5)]
    [InlineData(19, 0.5)]
    [InlineData(25, 0.25)]
    [InlineData(30, 0.125)]
    public void StepDecayDropsByGammaEveryStepSize(long step, double expected)
        => Assert.Equal(expected, LearningRateSchedule.Step(10, gamma: 0.5).Factor(step));

    [Fact]
    public void BadSchedulesNameTheirArgument()
    {
        Assert.Equal("warmupSteps", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.LinearWarmup(0)).ParamName);
        Assert.Equal("totalSteps", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine(0)).ParamName);
        Assert.Equal("minFactor", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine(10, 1.5)).ParamName);
        Assert.Equal("stepSize", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Step(0)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Step(5, double.NaN)).ParamName);
    }

    [Fact]
    public void SgdStepsFollowTheScheduledLearningRate()
    {
        // Constant gradient: θ_T = θ_0 − Σ_t lr · f(t) · g.
        var w = new float[] { 1f, -2f, 0.5f };
        var g = new float[] { 0.5f, 1f, -2f };
        using var sgd = Optimizers.Sgd([w], lr: 0.1);
        sgd.Schedule = LearningRateSchedule.Step(2, gamma: 0.5);
        for (int t = 0; t < 6; t++) sgd.Step(g);
        double sum = 0.1 * (1 + 1 + 0.5 + 0.5 + 0.25 + 0.25);
        Assert.Equal(1 - sum * 0.5, w[0], 5);
        Assert.Equal(-2 - sum * 1, w[1], 5);
        Assert.Equal(0.5 + sum * 2, w[2], 5);
        Assert.Equal(6, sgd.StepCount);
    }

    [Fact]
    public void ALearnedOptimizersStepIsMultipliedByTheFactor()
    {
        float[] Start() => Enumerable.Range(0, 40).Select(i => MathF.Sin(i)).ToArray();
        var g = Enumerable.Range(0, 40).Select(i => MathF.Cos(3 * i)).ToArray();
        var full = Start();
        var half = Start();
        using var a = LearnedOptimizers.Hrnn([full]);
        using var b = LearnedOptimizers.Hrnn([half]);
        b.Schedule = LearningRateSchedule.LinearWarmup(2);   // factor 0.5 at step 0
        a.Step(g);
        b.Step(g);
        var start = Start();
        Assert.Contains(full.Zip(start), p => p.First != p.Second);
        for (int i = 0; i < start.Length; i++)
            Assert.Equal(0.5 * (full[i] - start[i]), half[i] - start[i], 6);
    }
}
