using System.Runtime.InteropServices;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Interop;

/// <summary>Raw bindings of the batched ConvNet classifiers (native/include/lopt/lopt_convnet_abi.h).</summary>
internal static unsafe partial class LoptConvNetNative
{
    public const int AbiVersion = 1;

    static LoptConvNetNative() => NativeLibraryResolver.Install();

    [LibraryImport(LibraryNames.LoptCpu)] public static partial int lopt_convnet_abi_version();

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial long lopt_convnet_dim(int blocks, int* channels, int height, int width, int classes);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_convnet(long count, int blocks, int* channels, int height, int width, int classes,
        float* images, float* labels, int rows, int* batchRows, int batch, float* theta, float* loss, float* grad);

    /// <summary>Checks the library's ConvNet ABI once, so a stale liblopt_cpu.so fails with a clear message.</summary>
    public static void EnsureLoaded()
    {
        int abi = lopt_convnet_abi_version();
        if (abi != AbiVersion)
            throw new InvalidOperationException($"liblopt_cpu.so has ConvNet ABI version {abi}, this assembly expects {AbiVersion}: rebuild the native library.");
    }
}
