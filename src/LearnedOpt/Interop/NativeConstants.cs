namespace LearnedOpt.Interop;

/// <summary>
/// The native headers' integer constants that C# needs, in one place. Each is named after its macro
/// (<c>HrnnOffBeta</c> is <c>LOPT_HRNN_OFF_BETA</c>); NativeAbiTests checks every one against the value
/// the native library reports (<c>lopt_abi_constant</c>).
/// </summary>
internal static class NativeConstants
{
    // HRNN sizes and the rows of a tensor's state block (lopt_hrnn.h).
    public const int HrnnH0 = 10, HrnnS = 4, HrnnF = 12, HrnnG0 = 30, HrnnI1 = 22;
    public const int HrnnState = 21, HrnnBlock = 22, HrnnSums = 24;
    public const int HrnnOffH = 0, HrnnOffM = 10, HrnnOffV = 14, HrnnOffBeta = 18, HrnnOffEta = 19, HrnnOffEll = 20, HrnnOffScratch = 21;

    // CUDA launch shape of hrnn.cu, and the per-coordinate weights the step reads.
    public const int HrnnGpuChunk = 1024, HrnnThreads = 256, HrnnWCount = 737;

    // Truncated BPTT (lopt_hrnn_grad.h): forward sums, adjoint accumulators, threads per block.
    public const int HgSums = 23, HgAcc = 769, HgBlock = 128;
}
