namespace LearnedOpt.Optimizers.Hrnn;

/// <summary>
/// HRNN weights whose learning rate is a fixed exponential schedule: with the LR readout's weights
/// w_ℓ = 0 the log learning rate no longer depends on the features, a = ℓ + b_ℓ and the stored
/// ℓ' = λℓ + (1−λ)a = ℓ + (1−λ)b_ℓ, so ℓ_t = ℓ₀ + t(1−λ)b_ℓ (until the ±33 clip) and the step is
/// exp(ℓ_t + b_ℓ + o)·d̂. Two numbers set it: the first step's learning rate η₀ = exp(ℓ₀ + b_ℓ + o)
/// and the factor e^−D by which it falls over <c>horizon</c> steps, D = −horizon(1−λ)b_ℓ. The
/// direction (every other weight) is untouched. This is the safe default the feasibility study of
/// dead ReLU units recommends: the LR readout is what runs away on networks.
/// </summary>
public static class FixedLrSchedule
{
    public const string LrReadoutWeights = "readout/lr/w";
    public const string LrReadoutBias = "readout/lr/b";
    public const string StepOffset = "lr/step_offset";
    public const string MomentumLogit = "lr/momentum_logit";

    /// <summary>λ = σ(κ), the smoothing of the stored log learning rate.</summary>
    public static double Smoothing(HrnnWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return 1 / (1 + Math.Exp(-weights.Get(MomentumLogit)[0]));
    }

    /// <summary>The weights with w_ℓ = 0 and (b_ℓ, o) set for this schedule.</summary>
    /// <param name="initialLr">η₀ &gt; 0, the learning rate of the first step.</param>
    /// <param name="decay">D ≥ 0: the learning rate falls by e^−D over <paramref name="horizon"/> steps.</param>
    public static HrnnWeights Apply(HrnnWeights weights, double initialLr, double decay, int horizon, float initialLogLr)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (!(initialLr > 0) || !double.IsFinite(initialLr)) throw new ArgumentOutOfRangeException(nameof(initialLr), initialLr, "must be a finite learning rate > 0.");
        if (!(decay >= 0) || !double.IsFinite(decay)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "must be finite and >= 0.");
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1);
        double lambda = Smoothing(weights);
        if (!(lambda < 1)) throw new ArgumentException($"lr/momentum_logit {weights.Get(MomentumLogit)[0]} gives λ = 1 in float64: the log learning rate could not move.", nameof(weights));
        float bias = (float)(-decay / (horizon * (1 - lambda)));
        float offset = (float)(Math.Log(initialLr) - initialLogLr - bias);
        return weights
            .With(LrReadoutWeights, new float[weights.Get(LrReadoutWeights).Length])
            .With(LrReadoutBias, [bias])
            .With(StepOffset, [offset]);
    }

    /// <summary>The learning rate of step t (0-based) under weights with w_ℓ = 0, as the step computes it in float64.</summary>
    public static double LearningRate(HrnnWeights weights, int step, float initialLogLr)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        double lambda = Smoothing(weights), b = weights.Get(LrReadoutBias)[0], o = weights.Get(StepOffset)[0];
        double ell = initialLogLr;
        for (int t = 0; t < step; t++) ell = lambda * ell + (1 - lambda) * Math.Clamp(ell + b, -33, 33);
        return Math.Exp(Math.Clamp(ell + b, -33, 33) + o);
    }
}
