using System.Runtime.InteropServices;
using LearnedOpt.Interop;

namespace LearnedOpt.Cuda;

/// <summary>A CUevent with timing enabled; destroyed with cuEventDestroy_v2.</summary>
public sealed class EventHandle : SafeHandle
{
    private EventHandle(nint e) : base(0, true) => SetHandle(e);

    public override bool IsInvalid => handle == 0;

    public static unsafe EventHandle Create()
    {
        nint e;
        CudaException.ThrowIfFailed(CudaDriver.cuEventCreate(&e, CudaDriver.EventDefault), "cuEventCreate");
        return new EventHandle(e);
    }

    public void Record(StreamHandle stream)
        => CudaException.ThrowIfFailed(CudaDriver.cuEventRecord(handle, stream.DangerousGetHandle()), "cuEventRecord");

    public void Synchronize() => CudaException.ThrowIfFailed(CudaDriver.cuEventSynchronize(handle), "cuEventSynchronize");

    /// <summary>Milliseconds from <paramref name="start"/> to this event (both recorded and completed).</summary>
    public unsafe float ElapsedSince(EventHandle start)
    {
        float ms;
        CudaException.ThrowIfFailed(CudaDriver.cuEventElapsedTime(&ms, start.handle, handle), "cuEventElapsedTime");
        return ms;
    }

    protected override bool ReleaseHandle() => CudaDriver.cuEventDestroy_v2(handle) == CudaDriver.Success;
}
