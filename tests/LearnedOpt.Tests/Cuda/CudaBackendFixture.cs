using LearnedOpt.Backends;

namespace LearnedOpt.Tests.Cuda;

/// <summary>One CUDA backend shared by a test class, created on first use and only where a device exists.</summary>
public sealed class CudaBackendFixture : IDisposable
{
    private readonly Lazy<CudaBackend> _backend = new(() => new CudaBackend());

    /// <summary>Skips the calling test when there is no usable device.</summary>
    public CudaBackend Backend
    {
        get
        {
            Assert.SkipUnless(CudaTestEnvironment.HasDevice, CudaTestEnvironment.Reason);
            return _backend.Value;
        }
    }

    public void Dispose()
    {
        if (_backend.IsValueCreated) _backend.Value.Dispose();
    }
}
