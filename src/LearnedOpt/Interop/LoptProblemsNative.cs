using System.Runtime.InteropServices;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Interop;

/// <summary>Raw bindings of the batched synthetic problems (native/include/lopt/lopt_problems_abi.h).</summary>
internal static unsafe partial class LoptProblemsNative
{
    public const int AbiVersion = 1;

    static LoptProblemsNative() => NativeLibraryResolver.Install();

    [LibraryImport(LibraryNames.LoptCpu)] public static partial int lopt_problems_abi_version();

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_problems_testfn(int fn, long count, float* theta, float* loss, float* grad, float* v, float* hv);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_problems_bowl(long count, float* a, float* theta, float* loss, float* grad, float* v, float* hv);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_problems_quadratic(long count, int n, float* w, float* y, float* theta, float* loss, float* grad, float* v, float* hv);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_problems_norm(long count, int n, float p, float* w, float* y, float* theta, float* loss, float* grad, float* v, float* hv);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_problems_classifier(long count, int layers, int* widths, float* x, float* labels, int rows, int* batchRows, int batch, float l2, float* theta, float* loss, float* grad);

    /// <summary>Checks the library's problems ABI once, so a stale liblopt_cpu.so fails with a clear message.</summary>
    public static void EnsureLoaded()
    {
        int abi = lopt_problems_abi_version();
        if (abi != AbiVersion)
            throw new InvalidOperationException($"liblopt_cpu.so has problems ABI version {abi}, this assembly expects {AbiVersion}: rebuild the native library.");
    }
}
