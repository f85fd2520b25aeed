using System.Runtime.InteropServices;
using LearnedOpt.Interop;

namespace LearnedOpt.Cuda;

/// <summary>A CUstream: one we created (destroyed on release) or a caller's (borrowed, never destroyed).</summary>
public sealed class StreamHandle : SafeHandle
{
    private StreamHandle(nint stream, bool owns) : base(0, owns) => SetHandle(stream);

    /// <summary>The null stream (0) is a valid CUstream, so nothing is "invalid" except a closed handle.</summary>
    public override bool IsInvalid => false;

    /// <summary>A new non-blocking stream: it does not serialise with the legacy default stream of other libraries.</summary>
    public static unsafe StreamHandle Create()
    {
        nint stream;
        CudaException.ThrowIfFailed(CudaDriver.cuStreamCreate(&stream, CudaDriver.StreamNonBlocking), "cuStreamCreate");
        return new StreamHandle(stream, true);
    }

    /// <summary>Wraps a caller's stream (e.g. PyTorch's current stream); the caller keeps it alive and destroys it.</summary>
    public static StreamHandle Borrow(nint stream) => new(stream, false);

    public void Synchronize() => CudaException.ThrowIfFailed(CudaDriver.cuStreamSynchronize(handle), "cuStreamSynchronize");

    protected override bool ReleaseHandle() => handle == 0 || CudaDriver.cuStreamDestroy_v2(handle) == CudaDriver.Success;
}
