using LearnedOpt.Backends;
using LearnedOpt.Tests.Cuda;

namespace LearnedOpt.Tests;

/// <summary>
/// The backends a check runs on when it is one test body for every backend: the CPU library always,
/// CUDA where a device is usable (its case skips with the reason otherwise). Each backend's entry
/// point is its own test method carrying its tier trait (cpu, gpu).
/// </summary>
public static class TestBackends
{
    public const string Cpu = "cpu", Cuda = "cuda";

    /// <summary>Opens <paramref name="backend"/>; on CUDA, skips the calling test unless a device is usable.</summary>
    public static IBackend Open(string backend)
    {
        switch (backend)
        {
            case Cpu:
                return new CpuBackend();
            case Cuda:
                Assert.SkipUnless(CudaTestEnvironment.HasDevice, CudaTestEnvironment.Reason);
                return new CudaBackend();
            default:
                throw new ArgumentException($"Unknown test backend '{backend}' (cpu or cuda).", nameof(backend));
        }
    }
}
