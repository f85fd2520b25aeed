using LearnedOpt.Backends;
using LearnedOpt.Optimizers.Celo;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tensors;

namespace LearnedOpt.Optimizers;

/// <summary>Builds any optimizer by kind: the one entry point of the CLI, benchmarks and training loops.</summary>
public static class OptimizerFactory
{
    /// <summary>Builds the optimizer <paramref name="kind"/> over <paramref name="tensors"/> on <paramref name="backend"/>.</summary>
    /// <param name="kind">Which optimizer.</param>
    /// <param name="backend">Where its state lives and its kernels run.</param>
    /// <param name="tensors">The parameter tensors it steps.</param>
    /// <param name="hyperParameters">Hand-designed optimizers only (the HRNN's come from its weights).</param>
    /// <param name="weightsPath">Learned optimizers only: the weight file (safetensors).</param>
    public static Optimizer Create(OptimizerKind kind, IBackend backend, IReadOnlyList<TensorSpec> tensors, HyperParameters hyperParameters, string? weightsPath = null)
    {
        if (kind == OptimizerKind.Hrnn)
        {
            // The HRNN has no hand-set hyperparameters: everything comes from its weight file.
            if (string.IsNullOrEmpty(weightsPath))
                throw new ArgumentException($"The hrnn optimizer needs a weight file: pass {nameof(weightsPath)} (safetensors), or its weights (e.g. {nameof(ShippedHrnnWeights)}.{nameof(ShippedHrnnWeights.Load)}()).", nameof(weightsPath));
            return new HrnnOptimizer(backend, tensors, HrnnWeights.Load(weightsPath));
        }
        if (kind == OptimizerKind.Celo)
        {
            // Celo's weights come from its file; N, the planned number of steps, from --total-steps.
            if (string.IsNullOrEmpty(weightsPath))
                throw new ArgumentException("The celo optimizer needs a weight file (--weights W.safetensors; convert the released one with 'lopt convert celo').", "weights");
            if (hyperParameters.TotalSteps < 1)
                throw new ArgumentException($"The celo optimizer needs the planned number of steps: --total-steps must be >= 1 (got {hyperParameters.TotalSteps}).", "total-steps");
            return new CeloOptimizer(backend, tensors, CeloWeights.Load(weightsPath), hyperParameters.TotalSteps);
        }
        if (weightsPath != null)
            throw new ArgumentException($"{nameof(weightsPath)} is only used by learned optimizers, not by {OptimizerNames.Name(kind)}.", nameof(weightsPath));
        return new HandDesignedOptimizer(kind, backend, tensors, hyperParameters);
    }

    /// <summary>Builds a learned optimizer from weights already loaded (e.g. <see cref="ShippedHrnnWeights.Load"/>).</summary>
    /// <param name="kind">A learned optimizer (hrnn).</param>
    /// <param name="backend">Where its state lives and its kernels run.</param>
    /// <param name="tensors">The parameter tensors it steps.</param>
    /// <param name="weights">Its weights.</param>
    public static Optimizer Create(OptimizerKind kind, IBackend backend, IReadOnlyList<TensorSpec> tensors, HrnnWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (kind != OptimizerKind.Hrnn)
            throw new ArgumentException($"{nameof(weights)} are only used by learned optimizers, not by {OptimizerNames.Name(kind)}.", nameof(weights));
        return new HrnnOptimizer(backend, tensors, weights);
    }
}
