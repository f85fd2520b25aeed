using System.Runtime.InteropServices;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Interop;

/// <summary>Raw bindings of the batched classifiers' Hessian-vector product (native/include/lopt/lopt_classifier_abi.h).</summary>
internal static unsafe partial class LoptClassifierNative
{
    public const int AbiVersion = 1;

    static LoptClassifierNative() => NativeLibraryResolver.Install();

    [LibraryImport(LibraryNames.LoptCpu)] public static partial int lopt_classifier_abi_version();

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_classifier_hvp(long count, int layers, int* widths, float* x, float* labels, int rows,
        int* batchRows, int batch, float l2, float* theta, float* v, float* hv);

    /// <summary>Checks the library's classifier ABI once, so a stale liblopt_cpu.so fails with a clear message.</summary>
    public static void EnsureLoaded()
    {
        int abi = lopt_classifier_abi_version();
        if (abi != AbiVersion)
            throw new InvalidOperationException($"liblopt_cpu.so has classifier ABI version {abi}, this assembly expects {AbiVersion}: rebuild the native library.");
    }
}
