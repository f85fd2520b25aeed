namespace LearnedOpt.MetaTraining;

/// <summary>
/// Extremes of one validation, not means (a mean log-LR can fall while a few coordinates run away):
/// over every coordinate of every validation problem at the end of its run, the largest and smallest
/// log-LR ℓ, the fraction with |ℓ| at the ±33 clip, and the largest ‖θ_T‖/‖θ_0‖; plus the
/// dying-gradient probe's result when it ran.
/// </summary>
public sealed record ValidationDiagnostics(double MaxLogLr, double MinLogLr, double ClipFraction, double MaxNormRatio, ProbeResult? Probe)
{
    /// <summary>Whether this φ may be selected as best: the probe, when it ran, passed.</summary>
    public bool Eligible => Probe is not { Passed: false };
}
