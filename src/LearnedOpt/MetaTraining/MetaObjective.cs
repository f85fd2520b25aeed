namespace LearnedOpt.MetaTraining;

/// <summary>
/// The per-point meta-loss of decision 4 (the reference's log form):
/// ln(F(θ)/(F_init + 1e-6) + 1e-6), with F the full-data loss and F_init the loss at the episode's
/// start. A truncation's meta-objective is the mean of this over q = [F(θ₀), …, F(θ_T)]. Divergence
/// is capped at <c>cap</c> (a NaN or infinite loss counts as the cap) so one exploding inner run
/// cannot swamp a meta-batch.
/// </summary>
public static class MetaObjective
{
    public const double Epsilon = 1e-6;

    public static double PointLoss(double loss, double initialLoss, double cap)
    {
        if (double.IsNaN(loss) || double.IsPositiveInfinity(loss)) return cap;
        // The ensemble's losses are >= 0; a rounding-level negative value must not make ln() NaN.
        double v = Math.Log(Math.Max(loss, 0) / (Math.Max(initialLoss, 0) + Epsilon) + Epsilon);
        return Math.Min(v, cap);
    }

    /// <summary>Mean of a truncation's point losses (all T + 1 of them).</summary>
    public static double Mean(ReadOnlySpan<double> points)
    {
        double s = 0;
        foreach (var p in points) s += p;
        return points.Length == 0 ? 0 : s / points.Length;
    }
}
