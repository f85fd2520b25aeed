using LearnedOpt.Cuda;
using LearnedOpt.Interop;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Backends;

/// <summary>Decides whether CUDA is usable here and, when it is not, says why in one line.</summary>
public static class CudaProbe
{
    /// <summary>True when libcuda loads, cuInit succeeds, a device exists and libnvrtc loads (kernels are compiled at run time).</summary>
    public static bool IsUsable(out string reason)
    {
        NativeLibraryResolver.Install();
        var cuda = NativeLibraryResolver.Get(LibraryNames.Cuda);
        if (!cuda.Found)
        {
            reason = $"libcuda could not be loaded (no NVIDIA driver?); tried: {cuda.Trace}";
            return false;
        }
        int count;
        try
        {
            count = CudaDevice.Count();
        }
        catch (CudaException e)
        {
            reason = $"the CUDA driver is present but {e.Message}";
            return false;
        }
        if (count == 0)
        {
            reason = "the CUDA driver reports no device";
            return false;
        }
        var nvrtc = NativeLibraryResolver.Get(LibraryNames.Nvrtc);
        if (!nvrtc.Found)
        {
            reason = $"{count} CUDA device(s) but libnvrtc (needed to compile the kernels) could not be loaded; tried: {nvrtc.Trace}";
            return false;
        }
        reason = $"{count} CUDA device(s)";
        return true;
    }

    /// <summary>A CUDA backend on device 0, or null with the reason it could not be created.</summary>
    public static IBackend? TryCreate(out string reason)
    {
        if (!IsUsable(out reason)) return null;
        try
        {
            return new CudaBackend();
        }
        catch (Exception e) when (e is CudaException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            reason = $"creating the CUDA backend failed: {e.Message}";
            return null;
        }
    }
}
