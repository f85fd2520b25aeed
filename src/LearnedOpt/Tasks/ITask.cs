using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks;

/// <summary>
/// One training-problem instance: its coefficients and data are fixed when it is built (from a
/// seed); parameters are named tensors. Values are double precision here (the reference path used
/// by tests, the CLI and single-task training); batched float32 evaluation over many instances
/// lives beside the families.
/// </summary>
public interface ITask
{
    /// <summary>Registry name, e.g. "rosenbrock", "quadratic-20", "fashion-mnist-mlp-32".</summary>
    string Name { get; }

    /// <summary>Family name, e.g. "quadratic", "test-function", "mlp-classification".</summary>
    string Family { get; }

    /// <summary>Parameter tensors, in order.</summary>
    IReadOnlyList<TensorSpec> Parameters { get; }

    /// <summary>Minibatch size of a training step, or 0 when the task has no data.</summary>
    int BatchSize { get; }

    /// <summary>A draw from the task's initial-point distribution.</summary>
    double[][] SampleInitialPoint(Rng rng);

    /// <summary>Exact, noise-free full-data loss; writes the gradient when <paramref name="gradient"/> is given.</summary>
    double Loss(IReadOnlyList<double[]> theta, IReadOnlyList<double[]>? gradient);

    /// <summary>
    /// The loss and gradient a training step sees: the minibatch <paramref name="step"/> of the
    /// task's batch schedule (drawn from <paramref name="rng"/>), plus any gradient noise or sparsification.
    /// </summary>
    double TrainingLoss(IReadOnlyList<double[]> theta, IReadOnlyList<double[]> gradient, Rng rng, long step);
}
