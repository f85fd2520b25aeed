using LearnedOpt.Backends;
using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Batched;
using LearnedOpt.Tests.Cuda;

namespace LearnedOpt.Tests.MetaTraining.Batched;

/// <summary>GPU tier: the batched environment and a batched meta-training run on CUDA against the CPU library. Skip without a device.</summary>
[Trait("tier", "gpu")]
public class BatchedUnrollCudaTests
{
    private static void RequireDevice() => Assert.SkipUnless(CudaTestEnvironment.HasDevice, CudaTestEnvironment.Reason);

    [Fact]
    public void CudaBatchedUnrollsMatchCpuBatchedUnrolls()
    {
        RequireDevice();
        using var cpu = new CpuBackend();
        using var cuda = new CudaBackend();
        var cfg = BatchedUnrollEnvironmentTests.Config(12);
        var vector = new HrnnParameterVector(cfg.H1, cfg.H2);
        var (sampler, _) = BatchedUnrollEnvironment.Restrict(new EnsembleSampler(cfg.Ensemble, cfg.MaxParameters), cuda);
        var onCpu = new BatchedUnrollEnvironment(cfg, sampler, vector, cpu);
        var onGpu = new BatchedUnrollEnvironment(cfg, sampler, vector, cuda);
        int n = cfg.Slots;
        var a = new InnerState[n];
        var b = new InnerState[n];
        for (int round = 0; round < 3; round++)
        {
            var plan = onCpu.NextTruncations();
            Assert.Equal(plan, onGpu.NextTruncations());
            var ra = new UnrollRequest[2 * n];
            var rb = new UnrollRequest[2 * n];
            for (int i = 0; i < n; i++)
            {
                if (plan[i].StartsEpisode) { a[i] = onCpu.InitialState(i); b[i] = onGpu.InitialState(i); }
                // ± copies as the estimators run them; the + one carries on.
                var minusA = a[i].Clone();
                var minusB = b[i].Clone();
                ra[2 * i] = new UnrollRequest(i, a[i], BatchedUnrollEnvironmentTests.Phi(vector, 2 * i), plan[i]);
                rb[2 * i] = new UnrollRequest(i, b[i], BatchedUnrollEnvironmentTests.Phi(vector, 2 * i), plan[i]);
                ra[2 * i + 1] = new UnrollRequest(i, minusA, BatchedUnrollEnvironmentTests.Phi(vector, 2 * i + 1), plan[i]);
                rb[2 * i + 1] = new UnrollRequest(i, minusB, BatchedUnrollEnvironmentTests.Phi(vector, 2 * i + 1), plan[i]);
            }
            var pa = onCpu.UnrollMany(ra);
            var pb = onGpu.UnrollMany(rb);
            for (int j = 0; j < 2 * n; j++)
            {
                Assert.Equal(pa[j].Length, pb[j].Length);
                for (int t = 0; t < pa[j].Length; t++)
                    Assert.True(Math.Abs(pa[j][t] - pb[j][t]) <= 1e-3, $"round {round} trajectory {j} point {t}: cpu {pa[j][t]:R}, cuda {pb[j][t]:R}");
                var sa = ra[j].State.Values;
                var sb = rb[j].State.Values;
                Assert.Equal(sa.Length, sb.Length);
                Hrnn.HrnnTestData.AssertState($"round {round} trajectory {j} carried state", sb, sa.Select(v => (double)v).ToArray());
            }
        }
    }

    [Fact]
    public void ABatchedMetaTrainingRunOnCudaTracksTheCpuRun()
    {
        RequireDevice();
        using var dirCpu = new TempDir();
        using var dirGpu = new TempDir();
        using var cpu = new CpuBackend();
        using var cuda = new CudaBackend();
        var cfg = SmallConfigs.Tiny(4) with { Estimator = "pes", Unroll = MetaTrainingConfig.BatchedUnroll, MaxParameters = 64 };
        var onCpu = new MetaTrainer(cfg, dirCpu.Path, cpu);
        var onGpu = new MetaTrainer(cfg, dirGpu.Path, cpu, cuda);
        onCpu.Run(TestContext.Current.CancellationToken);
        onGpu.Run(TestContext.Current.CancellationToken);
        var rc = MetaTrainer.ReadMetrics(Path.Combine(dirCpu.Path, MetaTrainer.MetricsFile));
        var rg = MetaTrainer.ReadMetrics(Path.Combine(dirGpu.Path, MetaTrainer.MetricsFile));
        Assert.Equal(rc.Count, rg.Count);
        for (int i = 1; i < rc.Count; i++)
            Assert.True(Math.Abs(rc[i].MetaLoss - rg[i].MetaLoss) <= 5e-3, $"iteration {rc[i].Iteration}: meta-loss cpu {rc[i].MetaLoss:R}, cuda {rg[i].MetaLoss:R}");
        Assert.All(onGpu.Phi, v => Assert.True(float.IsFinite(v)));
    }
}
