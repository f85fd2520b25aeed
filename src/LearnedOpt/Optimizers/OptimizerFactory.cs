using LearnedOpt.Backends;

namespace LearnedOpt.Optimizers;

/// <summary>Builds any optimizer by kind: the one entry point of the CLI, benchmarks and training loops.</summary>
public static class OptimizerFactory
{
    /// <param name="weightsPath">Learned optimizers only: the weight file (safetensors).</param>
    public static Optimizer Create(OptimizerKind kind, IBackend backend, IReadOnlyList<TensorSpec> tensors, HyperParameters hyperParameters, string? weightsPath = null)
    {
        if (kind == OptimizerKind.Hrnn)
            throw new NotSupportedException("The hrnn optimizer is not available in this build.");
        if (weightsPath != null)
            throw new ArgumentException($"--weights is only used by learned optimizers, not by {OptimizerNames.Name(kind)}.", "weights");
        return new HandDesignedOptimizer(kind, backend, tensors, hyperParameters);
    }
}
