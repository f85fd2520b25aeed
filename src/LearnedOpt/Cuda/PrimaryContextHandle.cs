using System.Runtime.InteropServices;
using LearnedOpt.Interop;

namespace LearnedOpt.Cuda;

/// <summary>A retained primary context of one device (CUcontext); released with cuDevicePrimaryCtxRelease_v2.</summary>
public sealed class PrimaryContextHandle : SafeHandle
{
    private PrimaryContextHandle(nint context, int device) : base(0, true)
    {
        SetHandle(context);
        Device = device;
    }

    /// <summary>The CUdevice (from cuDeviceGet) whose primary context this is.</summary>
    public int Device { get; }
    public override bool IsInvalid => handle == 0;

    /// <summary>Retains the primary context (the one the CUDA runtime, cuBLAS and PyTorch share) of device <paramref name="ordinal"/>.</summary>
    public static unsafe PrimaryContextHandle Retain(int ordinal)
    {
        int device;
        CudaException.ThrowIfFailed(CudaDriver.cuDeviceGet(&device, ordinal), "cuDeviceGet");
        nint ctx;
        CudaException.ThrowIfFailed(CudaDriver.cuDevicePrimaryCtxRetain(&ctx, device), "cuDevicePrimaryCtxRetain");
        return new PrimaryContextHandle(ctx, device);
    }

    /// <summary>Binds the context to the calling thread (CUDA contexts are per thread).</summary>
    public void MakeCurrent() => CudaException.ThrowIfFailed(CudaDriver.cuCtxSetCurrent(handle), "cuCtxSetCurrent");

    protected override bool ReleaseHandle() => CudaDriver.cuDevicePrimaryCtxRelease_v2(Device) == CudaDriver.Success;
}
