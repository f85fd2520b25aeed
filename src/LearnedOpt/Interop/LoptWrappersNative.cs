using System.Runtime.InteropServices;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Interop;

/// <summary>Raw bindings of the batched wrappers and counter-based random numbers (native/include/lopt/lopt_wrappers_abi.h).</summary>
internal static unsafe partial class LoptWrappersNative
{
    public const int AbiVersion = 1;

    static LoptWrappersNative() => NativeLibraryResolver.Install();

    [LibraryImport(LibraryNames.LoptCpu)] public static partial int lopt_wrappers_abi_version();

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_random_philox(uint* ctr, uint* key, uint* output);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_random_fill(int kind, long count, int dim, ulong* seeds, long step, uint stream, float* output);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_wrap_noise(long count, int dim, ulong* seeds, long step, uint stream, float sigma, float* grad);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_wrap_mask(long count, int dim, ulong* seeds, long step, uint stream, float q, float* x, float* output);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_wrap_divide(long n, float* x, float d, float* output);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_wrap_log(long count, int dim, float* innerLoss, float* loss, float* grad);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_wrap_log_hvp(long count, int dim, float* innerLoss, float* gNoisy, float* gExact, float* v, float* hv);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_wrap_gather(long count, int total, int offset, int part, float* src, float* dst);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_wrap_scatter(long count, int total, int offset, int part, float* src, float* dst);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_wrap_add(long n, float* x, float* output);

    /// <summary>Checks the library's wrappers ABI once, so a stale liblopt_cpu.so fails with a clear message.</summary>
    public static void EnsureLoaded()
    {
        int abi = lopt_wrappers_abi_version();
        if (abi != AbiVersion)
            throw new InvalidOperationException($"liblopt_cpu.so has wrappers ABI version {abi}, this assembly expects {AbiVersion}: rebuild the native library.");
    }
}
