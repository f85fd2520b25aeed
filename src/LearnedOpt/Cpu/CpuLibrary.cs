using System.Runtime.InteropServices;
using LearnedOpt.Interop;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Cpu;

/// <summary>
/// The CPU library (liblopt_cpu.so) as a whole: loading it with an ABI check, its OpenMP thread
/// count, and turning its error codes into exceptions that carry the library's own message.
/// </summary>
internal static unsafe class CpuLibrary
{
    /// <summary>Loads the library (through the resolver) and checks its ABI version against this assembly's.</summary>
    public static void EnsureLoaded()
    {
        NativeLibraryResolver.Install();
        NativeLibraryResolver.Require(LibraryNames.LoptCpu); // a missing file or a bad LOPT_CPU_ISA says what was tried
        var abi = LoptCpuNative.lopt_abi_version();
        if (abi != LoptCpuNative.AbiVersion)
            throw new InvalidOperationException($"liblopt_cpu.so has ABI version {abi}, this assembly expects {LoptCpuNative.AbiVersion}: rebuild the native library.");
    }

    /// <summary>The instruction set the loaded library was compiled for: "x86-64" (baseline) or "x86-64-v3" (AVX2 + FMA).</summary>
    public static string InstructionSet
    {
        get
        {
            EnsureLoaded();
            return Marshal.PtrToStringUTF8((nint)LoptCpuNative.lopt_cpu_isa()) ?? "";
        }
    }

    /// <summary>OpenMP threads of the library's parallel regions from now on.</summary>
    public static void SetThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        LoptCpuNative.lopt_set_threads(threads);
    }

    /// <summary>The OpenMP threads a parallel region of the library uses.</summary>
    public static int MaxThreads => LoptCpuNative.lopt_max_threads();

    /// <summary>Throws with the library's message when <paramref name="call"/> returned an error code.</summary>
    public static void Check(int code, string call) => LoptCpuNative.Check(code, call);
}
