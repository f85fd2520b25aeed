namespace LearnedOpt.Backends;

/// <summary>What the user asked for: automatic selection, or a forced backend.</summary>
public enum BackendChoice
{
    Auto,
    Cpu,
    Cuda,
}
