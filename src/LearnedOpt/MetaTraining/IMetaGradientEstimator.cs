namespace LearnedOpt.MetaTraining;

/// <summary>One meta-gradient estimate and the meta-objective the estimator saw while making it.</summary>
/// <param name="Gradient">∂(meta-objective)/∂φ, estimated; the caller applies the gradient hygiene.</param>
/// <param name="MetaLoss">Mean over slots of the decision-4 meta-objective of the truncation (log form).</param>
/// <param name="InnerSteps">Inner optimizer steps run (all trajectories counted).</param>
public sealed record MetaGradientEstimate(float[] Gradient, double MetaLoss, long InnerSteps);

/// <summary>
/// A meta-gradient estimator over an <see cref="IUnrollEnvironment"/>: each call advances the
/// slots by one truncation at φ and returns ∇φ of the meta-objective (estimated). Its persistent
/// state (trajectory states, PES accumulators) goes into checkpoints so a resumed run continues exactly.
/// </summary>
public interface IMetaGradientEstimator
{
    string Name { get; }

    MetaGradientEstimate Estimate(float[] phi);

    void Save(StateBag bag, string prefix);

    void Load(StateBag bag, string prefix);
}
