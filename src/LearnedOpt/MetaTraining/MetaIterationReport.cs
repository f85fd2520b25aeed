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
    bool IsBest);
