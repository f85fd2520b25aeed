using System.Runtime.InteropServices;
using LearnedOpt.Interop;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Cuda;

/// <summary>
/// A failed CUDA driver, NVRTC or cuBLAS call, or a CUDA library that could not be loaded. The
/// message names the call, the error code's name and meaning, and (NVRTC) the compiler log or
/// (missing library) every path the resolver tried.
/// </summary>
public sealed class CudaException : Exception
{
    public CudaException(string call, int code, string codeName, string message, string? log = null)
        : base(Format(call, code, codeName, message, log))
    {
        Call = call;
        Code = code;
        CodeName = codeName;
        Log = log;
    }

    private CudaException(string call, string message) : base(message)
    {
        Call = call;
        CodeName = "LIBRARY_NOT_LOADED";
    }

    /// <summary>The API function that failed, e.g. "cuMemAlloc_v2".</summary>
    public string Call { get; }

    /// <summary>The numeric result code (CUresult, nvrtcResult or cublasStatus_t); 0 for a missing library.</summary>
    public int Code { get; }

    /// <summary>The symbolic name of <see cref="Code"/>, e.g. "CUDA_ERROR_OUT_OF_MEMORY".</summary>
    public string CodeName { get; }

    /// <summary>The NVRTC program log, when a compilation failed.</summary>
    public string? Log { get; }

    private static string Format(string call, int code, string codeName, string message, string? log)
    {
        var text = $"{call} failed: {codeName} ({code}): {message}";
        return string.IsNullOrWhiteSpace(log) ? text : $"{text}{Environment.NewLine}{log.TrimEnd()}";
    }

    /// <summary>The library could not be loaded: the message lists every attempt of the resolver.</summary>
    public static CudaException LibraryNotLoaded(string library, string call, NativeLibraryResolver.Resolution resolution)
        => new(call, $"{call}: the native library '{library}' could not be loaded. Tried: {resolution.Trace}");

    /// <summary>Throws unless a driver call succeeded.</summary>
    public static void ThrowIfFailed(int result, string call)
    {
        if (result != CudaDriver.Success) throw Driver(result, call);
    }

    public static unsafe CudaException Driver(int result, string call)
    {
        byte* name = null, text = null;
        var hasName = CudaDriver.cuGetErrorName(result, &name) == CudaDriver.Success && name != null;
        var hasText = CudaDriver.cuGetErrorString(result, &text) == CudaDriver.Success && text != null;
        return new CudaException(call, result,
            hasName ? Marshal.PtrToStringUTF8((nint)name)! : $"CUresult {result}",
            hasText ? Marshal.PtrToStringUTF8((nint)text)! : "unknown CUDA driver error");
    }

    public static unsafe CudaException Nvrtc(int result, string call, string? log = null)
    {
        var text = Marshal.PtrToStringUTF8((nint)Interop.Nvrtc.nvrtcGetErrorString(result)) ?? $"nvrtcResult {result}";
        return new CudaException(call, result, text, NvrtcMeaning(result), log);
    }

    public static void ThrowIfNvrtcFailed(int result, string call)
    {
        if (result != Interop.Nvrtc.Success) throw Nvrtc(result, call);
    }

    public static void ThrowIfCublasFailed(int status, string call)
    {
        if (status != Cublas.Success) throw new CudaException(call, status, Cublas.StatusName(status), Cublas.StatusText(status));
    }

    private static string NvrtcMeaning(int result) => result switch
    {
        1 => "NVRTC could not allocate memory",
        3 => "invalid input to NVRTC",
        5 => "an option passed to NVRTC was rejected",
        6 => "the kernel source did not compile",
        _ => "NVRTC call failed",
    };
}
