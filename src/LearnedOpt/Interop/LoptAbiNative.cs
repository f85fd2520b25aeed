using System.Runtime.InteropServices;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Interop;

/// <summary>The native library's report of its struct layouts and constants (lopt_cpu.h), for the layout tests.</summary>
internal static unsafe partial class LoptAbiNative
{
    static LoptAbiNative() => NativeLibraryResolver.Install();

    [LibraryImport(LibraryNames.LoptCpu, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lopt_abi_struct(string name, long* size, long* offsets, int capacity);

    [LibraryImport(LibraryNames.LoptCpu, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lopt_abi_constant(string name, long* value);
}
