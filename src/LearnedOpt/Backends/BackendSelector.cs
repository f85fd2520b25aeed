namespace LearnedOpt.Backends;

/// <summary>
/// Chooses the backend: auto picks CUDA when a usable device is present, else CPU; a forced
/// choice that cannot be honoured is an error that says why. The reason is returned for printing.
/// </summary>
public static class BackendSelector
{
    public static BackendChoice Parse(string? text) => (text ?? "auto").ToLowerInvariant() switch
    {
        "auto" => BackendChoice.Auto,
        "cpu" => BackendChoice.Cpu,
        "cuda" or "gpu" => BackendChoice.Cuda,
        _ => throw new ArgumentException($"backend '{text}' is not one of: auto, cpu, cuda.", "backend"),
    };

    /// <summary>The CPU library with <paramref name="threads"/> OpenMP threads (0: the library's default).</summary>
    public static CpuBackend CreateCpu(int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        return new CpuBackend(threads);
    }

    public static IBackend Create(BackendChoice choice, out string reason)
    {
        if (choice == BackendChoice.Cpu)
        {
            reason = "cpu (forced)";
            return new CpuBackend();
        }
        var cuda = CudaProbe.TryCreate(out var why);
        if (cuda != null)
        {
            reason = choice == BackendChoice.Cuda ? "cuda (forced)" : "cuda (auto: a usable CUDA device was found)";
            return cuda;
        }
        if (choice == BackendChoice.Cuda)
            throw new InvalidOperationException($"BackendChoice.Cuda was requested but CUDA is not usable: {why}");
        reason = $"cpu (auto: {why})";
        return new CpuBackend();
    }
}
