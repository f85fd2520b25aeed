namespace LearnedOpt.MetaTraining;

/// <summary>One meta-iteration as it goes to the progress display and to metrics.jsonl.</summary>
public sealed record MetaIterationReport(
    long Iteration,
    long TotalIterations,
    double MetaLoss,
    double GradientNorm,
    long InnerSteps,
    double InnerStepsPerSecond,
    double ElapsedSeconds,
    double? Validation,
    bool IsBest)
{
    /// <summary>Extremes of this iteration's validation (when one ran and produced them).</summary>
    public ValidationDiagnostics? Diagnostics { get; init; }

    /// <summary>Episodes ended early by a blow-up so far.</summary>
    public long EpisodesReset { get; init; }
}
