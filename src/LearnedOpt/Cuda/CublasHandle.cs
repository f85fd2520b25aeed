using System.Runtime.InteropServices;
using LearnedOpt.Interop;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Cuda;

/// <summary>A cublasHandle_t; destroyed with cublasDestroy_v2 (needs its context current).</summary>
public sealed class CublasHandle : SafeHandle
{
    private CublasHandle(nint h) : base(0, true) => SetHandle(h);

    public override bool IsInvalid => handle == 0;

    public static unsafe CublasHandle Create()
    {
        CudaLibraries.Require(LibraryNames.Cublas, "cublasCreate_v2");
        nint h;
        CudaException.ThrowIfCublasFailed(Cublas.cublasCreate_v2(&h), "cublasCreate_v2");
        return new CublasHandle(h);
    }

    protected override bool ReleaseHandle() => Cublas.cublasDestroy_v2(handle) == Cublas.Success;
}
