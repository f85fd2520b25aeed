namespace LearnedOpt.Cuda;

/// <summary>
/// What NVRTC compiles for: a CUBIN for a real architecture (sm_XY), or PTX for a virtual one
/// (compute_XY) that the driver JIT-compiles for a newer device.
/// </summary>
public readonly record struct CompileTarget(int Arch, bool Ptx)
{
    public static CompileTarget Cubin(int arch) => new(arch, false);

    /// <summary>"sm_90" or "compute_90".</summary>
    public string Name => Ptx ? $"compute_{Arch}" : $"sm_{Arch}";

    public string Option => $"--gpu-architecture={Name}";

    public string Extension => Ptx ? "ptx" : "cubin";

    public override string ToString() => Name;

    /// <summary>Parses "sm_80", "sm80", "80" or "compute_90" (PTX).</summary>
    public static CompileTarget Parse(string text, string argumentName = "arch")
    {
        var t = (text ?? "").Trim().ToLowerInvariant();
        bool ptx = t.StartsWith("compute_", StringComparison.Ordinal);
        var digits = ptx ? t["compute_".Length..] : t.StartsWith("sm_", StringComparison.Ordinal) ? t[3..] : t.StartsWith("sm", StringComparison.Ordinal) ? t[2..] : t;
        if (!int.TryParse(digits, System.Globalization.NumberStyles.None, null, out var arch) || arch < 10 || arch > 999)
            throw new ArgumentException($"--{argumentName} '{text}' is not a GPU architecture such as sm_80, sm_90 or compute_90.", argumentName);
        return new CompileTarget(arch, ptx);
    }
}
