using System.Runtime.InteropServices;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Interop;

/// <summary>Mirror of <c>lopt_hrnn_tensor</c> (native/include/lopt/lopt_hrnn_abi.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LoptHrnnTensor
{
    public float* Theta;
    public float* Grad;
    public float* Block;
    public long N;
}

/// <summary>Mirror of <c>lopt_hrnn_shared</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LoptHrnnShared
{
    public float* S, G, E0, Etg, EllMean, Mu;
}

/// <summary>Raw bindings of the HRNN step of the CPU library (lopt_hrnn_abi.h).</summary>
internal static unsafe partial class LoptHrnnNative
{
    /// <summary>Parameter-RNN hidden size and timescales compiled into the native code.</summary>
    public const int H0 = NativeConstants.HrnnH0;
    public const int S = NativeConstants.HrnnS;

    /// <summary>Floats per coordinate in a tensor's state block: h (H0), m (S), v (S), beta, eta, ell, scratch.</summary>
    public const int BlockFloats = NativeConstants.HrnnBlock;
    public const int RowM = NativeConstants.HrnnOffM, RowV = NativeConstants.HrnnOffV, RowBeta = NativeConstants.HrnnOffBeta,
        RowEta = NativeConstants.HrnnOffEta, RowEll = NativeConstants.HrnnOffEll;

    static LoptHrnnNative() => NativeLibraryResolver.Install();

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_hrnn_pack_floats(int h1, int h2);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_hrnn_prepare(float* pack, int h1, int h2, LoptHrnnTensor* tensors, int k, LoptHrnnShared* shared);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_hrnn_step(float* pack, int h1, int h2, LoptHrnnTensor* tensors, int k, LoptHrnnShared* shared, int* skipped, long* badEntries);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_hrnn_prepare_grouped(float* packs, int h1, int h2, LoptHrnnTensor* tensors, int* groupFirst, int groups, LoptHrnnShared* shared);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_hrnn_step_grouped(float* packs, int h1, int h2, LoptHrnnTensor* tensors, int* groupFirst, int groups, int* active,
                                                     LoptHrnnShared* shared, int* skipped, long* badEntries);
}
