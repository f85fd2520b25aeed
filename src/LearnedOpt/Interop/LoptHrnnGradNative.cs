using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Interop;

/// <summary>Raw bindings of the HRNN adjoint launchers of the CPU library (lopt_hrnn_grad_abi.h).</summary>
internal static unsafe partial class LoptHrnnGradNative
{
    /// <summary>Per-coordinate weights (LOPT_HRNN_W_COUNT), forward sums (LOPT_HG_SUMS), backward accumulators (LOPT_HG_ACC).</summary>
    public const int CoordWeights = NativeConstants.HrnnWCount, Sums = NativeConstants.HgSums, Accumulators = NativeConstants.HgAcc;

    static LoptHrnnGradNative() => NativeLibraryResolver.Install();

    [System.Runtime.InteropServices.LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_hrnn_grad_forward_f64(double* w, double* e0, double mu, double lambda, double* g,
        double* stateIn, double* stateOut, double* d, double* a, double* sums, long n);

    [System.Runtime.InteropServices.LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_hrnn_grad_forward_f32(float* w, float* e0, float mu, float lambda, float* g,
        float* stateIn, float* stateOut, float* d, float* a, double* sums, long n);

    [System.Runtime.InteropServices.LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_hrnn_grad_backward_f64(double* w, double* e0, double mu, double lambda, double* g,
        double* stateIn, double* barNext, double* xbarAdd, double* hbarAdd, double* dbar, double* abar,
        double* barPrev, double* gbar, double* acc, long n);

    [System.Runtime.InteropServices.LibraryImport(LibraryNames.LoptCpu)]
    public static partial int lopt_hrnn_grad_backward_f32(float* w, float* e0, float mu, float lambda, float* g,
        float* stateIn, float* barNext, float* xbarAdd, float* hbarAdd, float* dbar, float* abar,
        float* barPrev, float* gbar, double* acc, long n);
}
