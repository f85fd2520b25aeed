using LearnedOpt.Backends;
using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Batched;
using LearnedOpt.MetaTraining.Estimators;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Tests.MetaTraining.Batched;

/// <summary>The batched environment on the CPU library against the per-slot path (float64 problems) on the same slots.</summary>
[Trait("tier", "cpu")]
public class BatchedUnrollEnvironmentTests
{
    internal static MetaTrainingConfig Config(int slots = 8) => SmallConfigs.Tiny(1) with
    {
        Slots = slots, MaxParameters = 64, Unroll = MetaTrainingConfig.BatchedUnroll,
        EpisodeMinSteps = 25, EpisodeMeanExtraSteps = 10, EpisodeMaxSteps = 40,
        TruncationMinSteps = 6, TruncationMeanExtraSteps = 6, TruncationMaxSteps = 14,
    };

    /// <summary>Both environments on one restricted ensemble (so both draw the same problems).</summary>
    internal static (PerSlotUnrollEnvironment PerSlot, BatchedUnrollEnvironment Batched, HrnnParameterVector Vector, IReadOnlyList<string> LeftOut)
        Pair(MetaTrainingConfig cfg, IBackend perSlot, IBackend batched)
    {
        var vector = new HrnnParameterVector(cfg.H1, cfg.H2);
        var (sampler, leftOut) = BatchedUnrollEnvironment.Restrict(new EnsembleSampler(cfg.Ensemble, cfg.MaxParameters), batched);
        return (new PerSlotUnrollEnvironment(cfg, sampler, vector, perSlot), new BatchedUnrollEnvironment(cfg, sampler, vector, batched), vector, leftOut);
    }

    /// <summary>φ with every path switched on, and a per-trajectory perturbation so groups differ.</summary>
    internal static float[] Phi(HrnnParameterVector vector, int trajectory)
    {
        var phi = vector.Flatten(Hrnn.HrnnTestData.Exercised(3, vector.H1, vector.H2));
        var rng = new Randomness.Rng(77).Fork(trajectory);
        for (int i = 0; i < phi.Length; i++) phi[i] += (float)(0.01 * rng.NextGaussian());
        return phi;
    }

    [Fact]
    public void RestrictKeepsEveryEntryThatHasABatchedProblem()
    {
        using var cpu = new CpuBackend();
        var cfg = Config();
        var full = new EnsembleSampler(cfg.Ensemble, cfg.MaxParameters);
        var (kept, leftOut) = BatchedUnrollEnvironment.Restrict(full, cpu);
        // Every family of the default ensemble, noisy and wrapped ones included, is batched on the CPU library.
        Assert.Empty(leftOut);
        Assert.Equal(full.Entries.Select(e => e.Name), kept.Entries.Select(e => e.Name));
        foreach (var family in new[] { "quadratic", "bowl", "test-function" })
            Assert.Contains(kept.Entries, e => e.Family == family);
        Assert.Contains(kept.Entries, e => e.Name.Contains("noisy"));
    }

    [Fact]
    public void BatchedUnrollsAgreeWithPerSlotUnrollsOverTwoTruncations()
    {
        using var cpu = new CpuBackend();
        var cfg = Config();
        var (perSlot, batched, vector, _) = Pair(cfg, cpu, cpu);
        int n = cfg.Slots;
        var a = new InnerState[n];
        var b = new InnerState[n];
        double worstPoint = 0, worstTheta = 0;
        for (int round = 0; round < 2; round++)
        {
            var planA = perSlot.NextTruncations();
            var planB = batched.NextTruncations();
            Assert.Equal(planA, planB);
            var requests = new UnrollRequest[n];
            for (int i = 0; i < n; i++)
            {
                if (planA[i].StartsEpisode)
                {
                    a[i] = perSlot.InitialState(i);
                    b[i] = batched.InitialState(i);
                    Assert.Equal(a[i].Values, b[i].Values);
                }
                requests[i] = new UnrollRequest(i, b[i], Phi(vector, i), planB[i]);
            }
            var start = b.Select(x => (float[])x.Values.Clone()).ToArray();
            var pointsB = batched.UnrollMany(requests);
            for (int i = 0; i < n; i++)
            {
                var pointsA = perSlot.Unroll(i, a[i], Phi(vector, i), planA[i]);
                Assert.Equal(planA[i].Steps + 1, pointsB[i].Length);
                for (int t = 0; t < pointsA.Length; t++)
                {
                    double d = Math.Abs(pointsA[t] - pointsB[i][t]);
                    worstPoint = Math.Max(worstPoint, d);
                    Assert.True(d <= 1e-4, $"round {round} slot {i} point {t}: per-slot {pointsA[t]:R}, batched {pointsB[i][t]:R}");
                }
                Assert.Equal(a[i].Values.Length, b[i].Values.Length);
                Assert.False(b[i].Fresh);
                int size = perSlot.Episode(i).Task.Size;
                // The unroll must have moved θ (else agreement would prove nothing).
                Assert.True(Enumerable.Range(0, size).Any(j => start[i][j] != b[i].Values[j]), $"round {round} slot {i}: θ did not move");
                for (int j = 0; j < size; j++)
                    worstTheta = Math.Max(worstTheta, Math.Abs(a[i].Values[j] - b[i].Values[j]) / (Math.Abs(a[i].Values[j]) + 1e-6));
                Tolerance.AssertClose(a[i].Values.AsSpan(0, size), b[i].Values.AsSpan(0, size), rel: 1e-4, abs: 1e-6, $"round {round} slot {i} θ (batched vs per-slot)");
            }
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"worst point-loss difference {worstPoint:E2}, worst relative θ difference {worstTheta:E2}");
    }

    [Theory]
    [InlineData("es")]
    [InlineData("pes")]
    public void EstimatesFromBothPathsAgree(string estimator)
    {
        using var cpu = new CpuBackend();
        var cfg = Config() with { Estimator = estimator };
        var (perSlot, batched, vector, _) = Pair(cfg, cpu, cpu);
        IMetaGradientEstimator Make(IUnrollEnvironment env) => estimator == "es"
            ? new EsEstimator(env, cfg.Sigma, cfg.Seed, 2)
            : new PesEstimator(env, cfg.Sigma, cfg.Seed, 2);
        var ea = Make(perSlot);
        var eb = Make(batched);
        var phi = vector.Flatten(Hrnn.HrnnTestData.Exercised(3, vector.H1, vector.H2));
        for (int it = 0; it < 2; it++)
        {
            var ga = ea.Estimate(phi);
            var gb = eb.Estimate(phi);
            Assert.Equal(ga.InnerSteps, gb.InnerSteps);
            Assert.True(Math.Abs(ga.MetaLoss - gb.MetaLoss) <= 1e-4, $"iteration {it}: meta-loss {ga.MetaLoss:R} vs {gb.MetaLoss:R}");
            double dot = 0, na = 0, nb = 0, diff = 0;
            for (int k = 0; k < phi.Length; k++)
            {
                dot += (double)ga.Gradient[k] * gb.Gradient[k];
                na += (double)ga.Gradient[k] * ga.Gradient[k];
                nb += (double)gb.Gradient[k] * gb.Gradient[k];
                diff += Math.Pow(ga.Gradient[k] - gb.Gradient[k], 2);
            }
            double rel = Math.Sqrt(diff / na);
            TestContext.Current.TestOutputHelper?.WriteLine($"{estimator} iteration {it}: |g| {Math.Sqrt(na):E3} vs {Math.Sqrt(nb):E3}, relative difference {rel:E2}");
            Assert.True(na > 0);
            Assert.True(rel <= 0.02, $"{estimator} iteration {it}: estimates differ by {rel:P2} of |g|");
            // Both take the same meta-step.
            for (int k = 0; k < phi.Length; k++) phi[k] -= 1e-3f * Math.Sign(ga.Gradient[k]);
        }
    }

    [Fact]
    public void BookkeepingOfAnotherBatchedEnsembleIsRejected()
    {
        using var cpu = new CpuBackend();
        var cfg = Config(4);
        var (_, batched, vector, _) = Pair(cfg, cpu, cpu);
        batched.NextTruncations();
        var bag = new StateBag("test");
        batched.Save(bag, "env/");
        // The same bookkeeping loads into an environment of the same ensemble...
        var (_, same, _, _) = Pair(cfg, cpu, cpu);
        same.Load(bag, "env/");
        Assert.Equal(batched.EpisodesStarted, same.EpisodesStarted);
        // ...but not into one whose supported entries differ (entry indices would mean other problems).
        var (fewer, _) = BatchedUnrollEnvironment.Restrict(new EnsembleSampler(cfg.Ensemble, cfg.MaxParameters), cpu);
        var other = new BatchedUnrollEnvironment(cfg, fewer.Where(e => e.Family != "bowl", "is not a bowl"), vector, cpu);
        var e = Assert.Throws<InvalidDataException>(() => other.Load(bag, "env/"));
        Assert.Contains("another batched ensemble", e.Message);
    }
}
