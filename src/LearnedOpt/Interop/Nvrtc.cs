using System.Runtime.InteropServices;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Interop;

/// <summary>
/// Raw bindings of NVRTC (libnvrtc), the runtime CUDA C++ compiler. Every function returns an
/// nvrtcResult (0 = success). Strings are NUL-terminated UTF-8 byte pointers the caller marshals.
/// </summary>
internal static unsafe partial class Nvrtc
{
    static Nvrtc() => NativeLibraryResolver.Install();

    public const int Success = 0;
    public const int ErrorCompilation = 6;

    [LibraryImport(LibraryNames.Nvrtc)] public static partial int nvrtcVersion(int* major, int* minor);
    [LibraryImport(LibraryNames.Nvrtc)] public static partial int nvrtcGetNumSupportedArchs(int* count);
    [LibraryImport(LibraryNames.Nvrtc)] public static partial int nvrtcGetSupportedArchs(int* archs);
    [LibraryImport(LibraryNames.Nvrtc)] public static partial byte* nvrtcGetErrorString(int result);

    [LibraryImport(LibraryNames.Nvrtc)]
    public static partial int nvrtcCreateProgram(nint* program, byte* source, byte* name, int numHeaders, byte** headers, byte** includeNames);
    [LibraryImport(LibraryNames.Nvrtc)] public static partial int nvrtcCompileProgram(nint program, int numOptions, byte** options);
    [LibraryImport(LibraryNames.Nvrtc)] public static partial int nvrtcDestroyProgram(nint* program);

    [LibraryImport(LibraryNames.Nvrtc)] public static partial int nvrtcGetProgramLogSize(nint program, nuint* size);
    [LibraryImport(LibraryNames.Nvrtc)] public static partial int nvrtcGetProgramLog(nint program, byte* log);
    [LibraryImport(LibraryNames.Nvrtc)] public static partial int nvrtcGetPTXSize(nint program, nuint* size);
    [LibraryImport(LibraryNames.Nvrtc)] public static partial int nvrtcGetPTX(nint program, byte* ptx);
    [LibraryImport(LibraryNames.Nvrtc)] public static partial int nvrtcGetCUBINSize(nint program, nuint* size);
    [LibraryImport(LibraryNames.Nvrtc)] public static partial int nvrtcGetCUBIN(nint program, byte* cubin);
}
