using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>
/// The stochastic training gradient of a <see cref="FlatTask"/> inside a truncation and its exact
/// Jacobian: local step k of a truncation that starts at episode step <c>start</c> draws its
/// minibatch, mask and noise from <c>Rng(dataSeed).Stream(start + k)</c> (the ES/PES unrolls' stream),
/// and the Hessian product replays that same stream through <see cref="FlatTask.TrainingHvp"/>, so
/// TBPTT through a minibatch/masked/noisy unroll is exact.
/// </summary>
public static class TrainingOracle
{
    /// <summary>The gradient fed at local step k: <see cref="FlatTask.TrainingValue"/> at episode step start + k.</summary>
    public static GradientOracle Gradient(FlatTask task, ulong dataSeed, long start)
    {
        Check(task, start);
        var data = new Rng(dataSeed);
        return (k, theta, g) =>
        {
            var gf = new double[task.Size];
            task.TrainingValue(task.Concat(theta, nameof(theta)), gf, data.Stream(start + k), start + k);
            Scatter(task, gf, g);
        };
    }

    /// <summary>J_kᵀ·v for the gradient <see cref="Gradient"/> feeds at local step k.</summary>
    public static TrainingHessianProduct Hessian(FlatTask task, ulong dataSeed, long start)
    {
        Check(task, start);
        var data = new Rng(dataSeed);
        return (k, theta, v, hv) =>
        {
            var r = new double[task.Size];
            task.TrainingHvp(task.Concat(theta, nameof(theta)), task.Concat(v, nameof(v)), r, data.Stream(start + k), start + k);
            Scatter(task, r, hv);
        };
    }

    /// <summary>A TBPTT problem fed the training gradients of episode steps start, start + 1, … with their exact Hessians.</summary>
    public static TbpttProblem Problem(FlatTask task, double[][] theta0, double initialLoss, ulong dataSeed, long start,
                                       TbpttHrnnState? state0 = null, double? initialLogLr = null)
        => new(task, theta0, initialLoss, state0, Gradient(task, dataSeed, start), initialLogLr, Hessian(task, dataSeed, start));

    private static void Check(FlatTask task, long start)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
    }

    private static void Scatter(FlatTask task, double[] flat, double[][] into)
    {
        var parts = task.Split(flat);
        if (into.Length != parts.Length) throw new ArgumentException($"Task '{task.Name}' has {parts.Length} tensors, the output {into.Length}.", nameof(into));
        for (int t = 0; t < parts.Length; t++) parts[t].CopyTo(into[t], 0);
    }
}
