using LearnedOpt.Backends;
using LearnedOpt.MetaTraining;
using LearnedOpt.Tests.Cuda;

namespace LearnedOpt.Tests.MetaTraining;

/// <summary>GPU tier: TBPTT meta-training with its per-coordinate work on CUDA (float64) tracks the CPU run. Skips without a device.</summary>
[Trait("tier", "gpu")]
public class TbpttCudaTrainingTests
{
    [Fact]
    public void TbpttMetaTrainingOnCudaTracksTheCpuRun()
    {
        Assert.SkipUnless(CudaTestEnvironment.HasDevice, CudaTestEnvironment.Reason);
        using var dirCpu = new TempDir();
        using var dirGpu = new TempDir();
        using var cpu = new CpuBackend(threads: 1);
        using var cuda = new CudaBackend();
        var cfg = SmallConfigs.Tiny(3) with { Estimator = "tbptt" };
        using var onCpu = new MetaTrainer(cfg, dirCpu.Path, cpu);
        using var onGpu = new MetaTrainer(cfg, dirGpu.Path, cpu, cuda);
        onCpu.Run(TestContext.Current.CancellationToken);
        onGpu.Run(TestContext.Current.CancellationToken);
        // Both engines run float64; only summation order differs, far below the float32 φ's resolution after 3 Adam steps.
        for (int i = 0; i < onCpu.Phi.Length; i++)
            Assert.True(Math.Abs(onCpu.Phi[i] - onGpu.Phi[i]) <= 1e-5f * Math.Max(1f, Math.Abs(onCpu.Phi[i])), $"phi[{i}]: cpu {onCpu.Phi[i]:R}, cuda {onGpu.Phi[i]:R}");
        using var dirFresh = new TempDir();
        Assert.NotEqual(new MetaTrainer(cfg, dirFresh.Path, cpu).Phi, onCpu.Phi);  // and φ did move
    }
}
