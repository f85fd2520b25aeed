using LearnedOpt.Backends;
using LearnedOpt.Optimizers;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tensors;

namespace LearnedOpt.Cli;

/// <summary>Builds the optimizer of --optimizer/--weights: a learned one without --weights runs the shipped weights, and says so on stderr.</summary>
public static class OptimizerOption
{
    public static Optimizer Create(OptimizerKind kind, IBackend backend, IReadOnlyList<TensorSpec> tensors, HyperParameters hyperParameters, string? weightsPath)
    {
        if (kind == OptimizerKind.Hrnn && weightsPath == null)
        {
            Console.Error.WriteLine($"optimizer: hrnn with the shipped weights ({ShippedHrnnWeights.FileName}, embedded); --weights W.safetensors uses others");
            return OptimizerFactory.Create(kind, backend, tensors, ShippedHrnnWeights.Load());
        }
        return OptimizerFactory.Create(kind, backend, tensors, hyperParameters, weightsPath);
    }
}
