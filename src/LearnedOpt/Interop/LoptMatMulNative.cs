using System.Runtime.InteropServices;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Interop;

/// <summary>Raw bindings of the batched MatMul problem (native/include/lopt/lopt_matmul_abi.h).</summary>
internal static unsafe partial class LoptMatMulNative
{
    public const int AbiVersion = 1;

    static LoptMatMulNative() => NativeLibraryResolver.Install();

    [LibraryImport(LibraryNames.LoptCpu)] public static partial int lopt_matmul_abi_version();

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_problems_matmul(long count, int n, int k, float* theta, float* loss, float* grad, float* v, float* hv);

    public static void EnsureLoaded()
    {
        int abi = lopt_matmul_abi_version();
        if (abi != AbiVersion)
            throw new InvalidOperationException($"liblopt_cpu.so has MatMul ABI version {abi}, this assembly expects {AbiVersion}: rebuild the native library.");
    }
}
