using LearnedOpt.Backends;
using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Estimators;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.MetaTraining;

[Trait("tier", "cpu")]
public class ParameterGrowthTests
{
    internal static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Interop.sln"))) return Path.Combine(dir.FullName, relative);
        throw new InvalidOperationException($"no Interop.sln above {AppContext.BaseDirectory}");
    }

    internal static HrnnWeights Shipped() => HrnnWeights.Load(RepoFile("weights/hrnn-default.safetensors"));

    /// <summary>Weights whose log-LR climbs every step (LR readout bias +3, step offset +4): θ runs away within a few steps.</summary>
    internal static HrnnWeights Runaway() => Shipped().With("readout/lr/b", [3f]).With("lr/step_offset", [4f]);

    [Theory]
    [InlineData(30, 30, 0)]
    [InlineData(10, 30, 0)]
    [InlineData(30 * Math.E, 30, 1)]
    [InlineData(30 * Math.E * Math.E, 30, 4)]
    [InlineData(Math.E * Math.E * Math.E, 1, 9)]
    public void PenaltyIsTheSquaredLogExcessOverTheFreeZone(double ratio, double free, double expected)
        => Assert.Equal(expected, ParameterGrowth.Penalty(ratio, free), 12);

    [Fact]
    public void PenaltyStaysFiniteForRunawayRatios()
    {
        double capped = Math.Pow(Math.Log(ParameterGrowth.MaxPenalisedRatio / 30), 2);
        Assert.Equal(capped, ParameterGrowth.Penalty(double.PositiveInfinity, 30), 12);
        Assert.Equal(capped, ParameterGrowth.Penalty(double.NaN, 30), 12);
    }

    [Fact]
    public void BlowUpRuleSeesTheRatioAndNonFiniteLosses()
    {
        var g = new ParameterGrowth(0, 30, 1000, resetOnNonFiniteLoss: true);
        Assert.False(g.BlowsUp(1.0, 999));
        Assert.True(g.BlowsUp(1.0, 1001));
        Assert.True(g.BlowsUp(double.NaN, 1));
        Assert.True(g.BlowsUp(double.PositiveInfinity, 1));
        Assert.True(g.BlowsUp(1.0, double.NaN));
        var ratioOnly = new ParameterGrowth(0, 30, 1000, resetOnNonFiniteLoss: false);
        Assert.False(ratioOnly.BlowsUp(double.NaN, 1));
        var off = new ParameterGrowth(1, 30, 0, false);
        Assert.False(off.BlowsUp(double.NaN, 1e30));
    }

    [Fact]
    public void UnrolledPointsCarryThePenaltyOfEachStepsNormRatio()
    {
        using var backend = new CpuBackend();
        var task = new QuadraticTask(10, 3, 0.5);
        var weights = Runaway();
        const double w = 0.7, c = 1.5;
        var growth = new ParameterGrowth(w, c, 0, false);
        var plain = HrnnRollout.Initial(task, 4);
        var watched = plain.Clone();
        double f0 = HrnnRollout.Loss(task, plain);
        double n0 = ParameterGrowth.Norm(plain.Values.AsSpan(0, task.Size));
        bool penalised = false;
        for (int step = 0; step < 12; step++)
        {
            var p = HrnnRollout.Run(backend, task, weights, plain, 9, step, 1, f0, 1e300);
            var q = HrnnRollout.Run(backend, task, weights, watched, 9, step, 1, f0, 1e300, growth.Watch(n0));
            Assert.Equal(plain.Values, watched.Values); // the monitor never changes the trajectory
            // An independent ratio from the carried θ.
            double norm = Math.Sqrt(plain.Values.Take(task.Size).Sum(v => (double)v * v));
            double excess = Math.Max(0, Math.Log(norm / n0) - Math.Log(c));
            Assert.Equal(p[1] + w * excess * excess, q[1], 9);
            penalised |= excess > 0;
        }
        Assert.True(penalised, "the runaway weights never left the free zone");
    }

    private static MetaTrainingConfig Config(double resetRatio) => SmallConfigs.Tiny(1) with
    {
        EpisodeMinSteps = 200, EpisodeMeanExtraSteps = 0, EpisodeMaxSteps = 200,
        TruncationMinSteps = 30, TruncationMeanExtraSteps = 0, TruncationMaxSteps = 30,
        ResetNormRatio = resetRatio, Sigma = 0.01,
    };

    [Fact]
    public void BlownUpTruncationsAreDroppedAndTheirEpisodesRestart()
    {
        using var backend = new CpuBackend();
        var vector = new HrnnParameterVector(20, 20);
        var phi = vector.Flatten(Runaway());

        var withReset = Config(resetRatio: 2);
        var env = new PerSlotUnrollEnvironment(withReset, new EnsembleSampler(withReset.Ensemble, withReset.MaxParameters), vector, backend);
        var pes = new PesEstimator(env, withReset.Sigma, withReset.Seed, 2);
        var g = pes.Estimate(phi).Gradient;
        Assert.All(Enumerable.Range(0, env.Slots), i => Assert.True(env.BlewUp(i), $"slot {i} did not blow up"));
        Assert.All(g, v => Assert.Equal(0f, v));
        var plan = env.NextTruncations();
        Assert.All(plan, t => Assert.True(t.StartsEpisode && t.StartStep == 0));
        Assert.Equal(env.Slots, env.EpisodesReset);
        Assert.Equal(2 * env.Slots, env.EpisodesStarted);

        // The same draws without the rule: the episodes continue and the estimate is not zero.
        var noReset = Config(resetRatio: 0);
        var env2 = new PerSlotUnrollEnvironment(noReset, new EnsembleSampler(noReset.Ensemble, noReset.MaxParameters), vector, backend);
        var g2 = new PesEstimator(env2, noReset.Sigma, noReset.Seed, 2).Estimate(phi).Gradient;
        Assert.Contains(g2, v => v != 0);
        Assert.All(env2.NextTruncations(), t => Assert.False(t.StartsEpisode));
        Assert.Equal(0, env2.EpisodesReset);
    }

    [Fact]
    public void ScaleAugmentationRescalesEachEpisodesProblem()
    {
        using var backend = new CpuBackend();
        var vector = new HrnnParameterVector(20, 20);
        var cfg = SmallConfigs.Tiny(1) with { ParameterScaleMax = 1000 };
        var env = new PerSlotUnrollEnvironment(cfg, new EnsembleSampler(cfg.Ensemble, cfg.MaxParameters), vector, backend);
        var plain = new PerSlotUnrollEnvironment(SmallConfigs.Tiny(1), new EnsembleSampler(cfg.Ensemble, cfg.MaxParameters), vector, backend);
        env.NextTruncations();
        plain.NextTruncations();
        var scales = new List<double>();
        for (int i = 0; i < env.Slots; i++)
        {
            var task = Assert.IsType<RescaleTask>(env.Episode(i).Task);
            Assert.InRange(task.Scale, 1e-3, 1e3);
            scales.Add(task.Scale);
            // Same problem and θ₀ draw as without augmentation, θ₀ multiplied by s, same loss there.
            Assert.Equal(plain.Episode(i).Task.Name, task.Name);
            var a = env.InitialState(i).Values;
            var b = plain.InitialState(i).Values;
            for (int k = 0; k < a.Length; k++) Assert.Equal(b[k] * task.Scale, a[k], Math.Abs(b[k] * task.Scale) * 1e-6 + 1e-30);
            Assert.Equal(plain.Episode(i).InitialLoss, env.Episode(i).InitialLoss, Math.Abs(plain.Episode(i).InitialLoss) * 1e-5 + 1e-9);
        }
        Assert.Equal(scales.Count, scales.Distinct().Count());
    }
}
