namespace LearnedOpt.MetaTraining;

/// <summary>
/// The parameter-growth penalty and the blow-up reset rule of the meta-objective. A learned
/// optimizer can let coordinates whose gradient vanished (dead ReLU units) run away for hundreds of
/// steps while the loss does not move, which a truncation's loss ratio cannot see. Per point,
/// P_t = relu(ln(‖θ_t‖/‖θ_0‖) − ln c)², with ‖·‖ over every tensor of the instance and θ_0 the
/// episode's start; a truncation's objective adds w·mean_t P_t. The free zone c must be generous
/// (healthy training grows ‖θ‖ several-fold; c = 30 still catches every runaway, which passes 10³
/// within a few hundred steps of its onset). An episode is reset, and its truncation dropped from the
/// estimate, once the ratio exceeds <see cref="ResetNormRatio"/> or the inner loss is non-finite.
/// </summary>
public sealed class ParameterGrowth
{
    public ParameterGrowth(double penaltyWeight, double freeFactor, double resetNormRatio, bool resetOnNonFiniteLoss)
    {
        if (!(penaltyWeight >= 0) || !double.IsFinite(penaltyWeight)) throw new ArgumentOutOfRangeException(nameof(penaltyWeight), penaltyWeight, "must be finite and >= 0.");
        if (!(freeFactor >= 1) || !double.IsFinite(freeFactor)) throw new ArgumentOutOfRangeException(nameof(freeFactor), freeFactor, "must be finite and >= 1.");
        if (resetNormRatio != 0 && !(resetNormRatio > 1)) throw new ArgumentOutOfRangeException(nameof(resetNormRatio), resetNormRatio, "must be 0 (off) or > 1.");
        PenaltyWeight = penaltyWeight;
        FreeFactor = freeFactor;
        ResetNormRatio = resetNormRatio;
        ResetOnNonFiniteLoss = resetOnNonFiniteLoss;
    }

    public static ParameterGrowth? FromConfig(MetaTrainingConfig config) => config.ControlsGrowth
        ? new ParameterGrowth(config.GrowthPenaltyWeight, config.GrowthPenaltyFreeFactor, config.ResetNormRatio, config.ResetOnNonFiniteLoss)
        : null;

    public double PenaltyWeight { get; }
    public double FreeFactor { get; }
    public double ResetNormRatio { get; }
    public bool ResetOnNonFiniteLoss { get; }

    /// <summary>Ratios above this count as this in the penalty, so one point's penalty stays finite.</summary>
    public const double MaxPenalisedRatio = 1e10;

    /// <summary>relu(ln(ratio) − ln c)², the ratio capped at <see cref="MaxPenalisedRatio"/> (NaN counts as the cap).</summary>
    public static double Penalty(double normRatio, double freeFactor)
    {
        double r = double.IsNaN(normRatio) ? MaxPenalisedRatio : Math.Min(normRatio, MaxPenalisedRatio);
        double excess = Math.Log(r) - Math.Log(freeFactor);
        return excess > 0 ? excess * excess : 0;
    }

    /// <summary>A point's meta-loss with w·P added (the penalty is left out when w = 0).</summary>
    public double PenalisedPoint(double point, double normRatio)
        => PenaltyWeight > 0 ? point + PenaltyWeight * Penalty(normRatio, FreeFactor) : point;

    /// <summary>Whether this state ends the episode: a non-finite loss (when enabled) or a norm ratio over the limit.</summary>
    public bool BlowsUp(double rawLoss, double normRatio)
        => (ResetOnNonFiniteLoss && !double.IsFinite(rawLoss)) || (ResetNormRatio > 0 && !(normRatio <= ResetNormRatio));

    /// <summary>Watches one trajectory: penalises its points and records whether it blew up.</summary>
    public Monitor Watch(double initialNorm) => new(this, initialNorm);

    public sealed class Monitor(ParameterGrowth growth, double initialNorm)
    {
        public bool BlewUp { get; private set; }

        /// <summary>Largest ‖θ_t‖/‖θ_0‖ seen.</summary>
        public double MaxRatio { get; private set; }

        /// <summary>The point's meta-loss with the penalty of θ = <paramref name="x"/>; notes a blow-up.</summary>
        public double Point(ReadOnlySpan<double> x, double rawLoss, double point)
        {
            double ratio = Ratio(Norm(x), initialNorm);
            if (!(ratio <= MaxRatio)) MaxRatio = double.IsNaN(ratio) ? double.PositiveInfinity : ratio;
            if (growth.BlowsUp(rawLoss, ratio)) BlewUp = true;
            return growth.PenalisedPoint(point, ratio);
        }
    }

    /// <summary>‖x‖₂ over the whole flat parameter vector.</summary>
    public static double Norm(ReadOnlySpan<double> x)
    {
        double s = 0;
        foreach (var v in x) s += v * v;
        return Math.Sqrt(s);
    }

    public static double Norm(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (var v in x) s += (double)v * v;
        return Math.Sqrt(s);
    }

    /// <summary>‖θ_t‖/‖θ_0‖, with a zero start norm treated as 1 (the ratio is then ‖θ_t‖ itself).</summary>
    public static double Ratio(double norm, double initialNorm) => norm / (initialNorm > 0 ? initialNorm : 1);
}
