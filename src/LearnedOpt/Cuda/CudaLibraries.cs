using LearnedOpt.Interop;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Cuda;

/// <summary>
/// Loads the CUDA libraries through <see cref="NativeLibraryResolver"/> before their first call, so
/// a missing library is a <see cref="CudaException"/> with the resolver's trace instead of a bare
/// DllNotFoundException; and initialises the driver once per process.
/// </summary>
public static class CudaLibraries
{
    private static readonly object Gate = new();
    private static int? _initResult;

    /// <summary>Throws a <see cref="CudaException"/> listing every attempt when <paramref name="library"/> cannot be loaded.</summary>
    public static void Require(string library, string call)
    {
        NativeLibraryResolver.Install();
        var r = NativeLibraryResolver.Get(library);
        if (!r.Found) throw CudaException.LibraryNotLoaded(library, call, r);
    }

    public static bool IsLoadable(string library)
    {
        NativeLibraryResolver.Install();
        return NativeLibraryResolver.Get(library).Found;
    }

    /// <summary>Loads libcuda and calls cuInit(0) once; later calls rethrow the first failure.</summary>
    public static void InitializeDriver()
    {
        Require(LibraryNames.Cuda, "cuInit");
        lock (Gate)
        {
            _initResult ??= CudaDriver.cuInit(0);
            CudaException.ThrowIfFailed(_initResult.Value, "cuInit");
        }
    }

    /// <summary>The driver's CUDA version as (major, minor), e.g. (12, 4).</summary>
    public static unsafe (int Major, int Minor) DriverVersion()
    {
        Require(LibraryNames.Cuda, "cuDriverGetVersion");
        int v;
        CudaException.ThrowIfFailed(CudaDriver.cuDriverGetVersion(&v), "cuDriverGetVersion");
        return (v / 1000, v % 1000 / 10);
    }

    /// <summary>NVRTC's version as (major, minor).</summary>
    public static unsafe (int Major, int Minor) NvrtcVersion()
    {
        Require(LibraryNames.Nvrtc, "nvrtcVersion");
        int major, minor;
        CudaException.ThrowIfNvrtcFailed(Nvrtc.nvrtcVersion(&major, &minor), "nvrtcVersion");
        return (major, minor);
    }

    /// <summary>The real architectures NVRTC can compile for, as numbers (80 = sm_80), ascending.</summary>
    public static unsafe IReadOnlyList<int> NvrtcSupportedArchs()
    {
        Require(LibraryNames.Nvrtc, "nvrtcGetNumSupportedArchs");
        int count;
        CudaException.ThrowIfNvrtcFailed(Nvrtc.nvrtcGetNumSupportedArchs(&count), "nvrtcGetNumSupportedArchs");
        var archs = new int[count];
        fixed (int* p = archs)
            CudaException.ThrowIfNvrtcFailed(Nvrtc.nvrtcGetSupportedArchs(p), "nvrtcGetSupportedArchs");
        Array.Sort(archs);
        return archs;
    }

    /// <summary>cuBLAS's version as (major, minor, patch), read without a handle (no GPU needed).</summary>
    public static unsafe (int Major, int Minor, int Patch) CublasVersion()
    {
        Require(LibraryNames.Cublas, "cublasGetProperty");
        int major, minor, patch;
        CudaException.ThrowIfCublasFailed(Cublas.cublasGetProperty(Cublas.MajorVersion, &major), "cublasGetProperty");
        CudaException.ThrowIfCublasFailed(Cublas.cublasGetProperty(Cublas.MinorVersion, &minor), "cublasGetProperty");
        CudaException.ThrowIfCublasFailed(Cublas.cublasGetProperty(Cublas.PatchLevel, &patch), "cublasGetProperty");
        return (major, minor, patch);
    }
}
