using LearnedOpt.Interop;

namespace LearnedOpt.Cuda;

/// <summary>cuMemAlloc_v2 / cuMemFree_v2 in the owner's context (made current by the caller).</summary>
public sealed unsafe class CudaMemorySource(PrimaryContextHandle context) : IDeviceMemorySource
{
    public ulong Allocate(ulong bytes)
    {
        context.MakeCurrent();
        ulong p;
        CudaException.ThrowIfFailed(CudaDriver.cuMemAlloc_v2(&p, (nuint)bytes), "cuMemAlloc_v2");
        return p;
    }

    public void Free(ulong address)
    {
        context.MakeCurrent();
        CudaException.ThrowIfFailed(CudaDriver.cuMemFree_v2(address), "cuMemFree_v2");
    }
}
