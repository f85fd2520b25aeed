using System.Runtime.InteropServices;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Interop;

/// <summary>Mirror of <c>lopt_celo_tensor</c> (native/include/lopt/lopt_celo.h), 128 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LoptCeloTensor
{
    public ulong P, G, State;
    public long N, Rows, Cols, RowMeans, Size0, Stride0, Size1, Stride1, RowMeanSize, RowMeanStride;
    public int Chunk0, NChunks, Fiber0, RowMean0, Factored, Pad;
}

/// <summary>Raw bindings of the Celo step of the CPU library (lopt_celo_abi.h).</summary>
internal static unsafe partial class LoptCeloNative
{
    /// <summary>Sizes of lopt_celo.h (checked against <c>lopt_celo_size</c> when the CPU kernels load).</summary>
    public const int MlpFloats = 159, SchedulerFloats = 35649, GlobalDoubles = 150, TensorBytes = 128, TensorStats = 32;

    /// <summary>Offsets into the global state (doubles): loss buffer, scheduler h, c, this step's multiplier.</summary>
    public const int GlobalLoss = 0, LossBuffer = 21, GlobalH = 21, GlobalC = 85, GlobalS = 149;

    static LoptCeloNative() => NativeLibraryResolver.Install();

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_celo_size(int which);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_celo_global_init(float* sched, double* global);

    [LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_celo_step(float* mlp, float* sched, LoptCeloTensor* tensors, int count, double* global,
                                             float loss, long step, long totalSteps, int phase, int* skipped, long* nonfinite);

    /// <summary>Throws when the loaded library was built from other headers than this assembly.</summary>
    public static void CheckSizes()
    {
        int[] expected = [MlpFloats, SchedulerFloats, GlobalDoubles, TensorBytes];
        for (int i = 0; i < expected.Length; i++)
            if (lopt_celo_size(i) != expected[i])
                throw new InvalidOperationException($"liblopt_cpu.so reports Celo size {i} = {lopt_celo_size(i)}, this assembly expects {expected[i]}: rebuild the native library.");
    }
}
