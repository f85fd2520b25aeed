namespace LearnedOpt.Cuda;

/// <summary>
/// Picks what to compile for a device of compute capability <c>deviceArch</c> (90 = 9.0) given the
/// real architectures this NVRTC supports: a CUBIN when NVRTC knows the device's architecture,
/// otherwise PTX for the newest supported architecture below it, which the driver JIT-compiles
/// forward (PTX fallback, e.g. NVRTC 11.8 on a Blackwell GPU).
/// </summary>
public static class ArchSelection
{
    public static CompileTarget Choose(int deviceArch, IReadOnlyList<int> nvrtcArchs)
    {
        ArgumentNullException.ThrowIfNull(nvrtcArchs);
        if (deviceArch <= 0) throw new ArgumentOutOfRangeException(nameof(deviceArch), deviceArch, "compute capability must be positive (e.g. 90 for 9.0).");
        if (nvrtcArchs.Contains(deviceArch)) return CompileTarget.Cubin(deviceArch);
        var older = nvrtcArchs.Where(a => a < deviceArch).ToList();
        if (older.Count == 0)
            throw new NotSupportedException(
                $"The GPU is sm_{deviceArch} but this NVRTC only supports {string.Join(", ", nvrtcArchs.Order().Select(a => $"sm_{a}"))}: install an NVRTC that supports sm_{deviceArch} or older.");
        return new CompileTarget(older.Max(), Ptx: true);
    }
}
