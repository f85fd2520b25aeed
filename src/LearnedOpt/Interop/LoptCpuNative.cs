using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LearnedOpt.NativeLibraries;

[assembly: DisableRuntimeMarshalling]

namespace LearnedOpt.Interop;

/// <summary>Raw bindings of the CPU library's C ABI (native/include/lopt/lopt_cpu.h).</summary>
internal static unsafe partial class LoptCpuNative
{
    public const int AbiVersion = 1;

    static LoptCpuNative() => NativeLibraryResolver.Install();

    [LibraryImport(LibraryNames.LoptCpu)] public static partial int lopt_abi_version();
    [LibraryImport(LibraryNames.LoptCpu)] public static partial int lopt_max_threads();
    [LibraryImport(LibraryNames.LoptCpu)] public static partial void lopt_set_threads(int threads);
    [LibraryImport(LibraryNames.LoptCpu)] public static partial byte* lopt_last_error();
    [LibraryImport(LibraryNames.LoptCpu)] public static partial byte* lopt_cpu_isa();
    [LibraryImport(LibraryNames.LoptCpu)] public static partial int lopt_struct_size(int which);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_optim_coef(int kind, LoptHParams* hp, long t, LoptCoef* coef);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_optim_state_count(int kind, LoptHParams* hp);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_optim_step(int kind, float* p, float* g, float* s0, float* s1, float* s2, long n, LoptCoef* coef, long* nonfinite);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial void lopt_copy(float* dst, float* src, long n);

    /// <summary>Throws with the library's own message when a call returned an error code.</summary>
    public static void Check(int code, string call)
    {
        if (code == 0) return;
        var message = Marshal.PtrToStringUTF8((nint)lopt_last_error()) ?? "";
        throw new InvalidOperationException($"{call} failed with code {code}: {message}");
    }
}
