using LearnedOpt.Interop;

namespace LearnedOpt.Cuda;

/// <summary>A kernel (CUfunction) of a loaded module; valid while its module is loaded.</summary>
public readonly record struct CudaFunction(nint Handle, string Name)
{
    public bool IsNull => Handle == 0;

    /// <summary>Registers per thread, the most threads per block it can be launched with, and its local (spill) memory.</summary>
    public unsafe (int Registers, int MaxThreadsPerBlock, int LocalBytes) Attributes()
    {
        int regs, threads, local;
        CudaException.ThrowIfFailed(CudaDriver.cuFuncGetAttribute(&regs, CudaDriver.FuncNumRegs, Handle), "cuFuncGetAttribute");
        CudaException.ThrowIfFailed(CudaDriver.cuFuncGetAttribute(&threads, CudaDriver.FuncMaxThreadsPerBlock, Handle), "cuFuncGetAttribute");
        CudaException.ThrowIfFailed(CudaDriver.cuFuncGetAttribute(&local, CudaDriver.FuncLocalSizeBytes, Handle), "cuFuncGetAttribute");
        return (regs, threads, local);
    }
}
