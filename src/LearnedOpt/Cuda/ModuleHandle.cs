using System.Runtime.InteropServices;
using LearnedOpt.Interop;

namespace LearnedOpt.Cuda;

/// <summary>A loaded CUmodule (CUBIN or PTX image); unloaded with cuModuleUnload.</summary>
public sealed class ModuleHandle : SafeHandle
{
    private ModuleHandle(nint module) : base(0, true) => SetHandle(module);

    public override bool IsInvalid => handle == 0;

    /// <summary>Loads an image; PTX must be NUL-terminated (the driver JIT-compiles it for the current device).</summary>
    public static unsafe ModuleHandle Load(ReadOnlySpan<byte> image)
    {
        nint module;
        fixed (byte* p = image)
            CudaException.ThrowIfFailed(CudaDriver.cuModuleLoadData(&module, p), "cuModuleLoadData");
        return new ModuleHandle(module);
    }

    protected override bool ReleaseHandle() => CudaDriver.cuModuleUnload(handle) == CudaDriver.Success;
}
