using LearnedOpt.Backends;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// <see cref="Count"/> instances of one problem family on one backend, evaluated in place on that
/// backend's tensors (host memory for the CPU library, device memory for CUDA). Layout is
/// instance-major: theta, gradients, v and hv hold Count × <see cref="Dimension"/> floats (an
/// instance's parameter tensors concatenated in order), loss holds Count floats. Any output may be
/// <c>TensorView.None</c> to skip it. Work may be queued asynchronously on the backend's stream.
/// Stochastic parts (minibatch rows, sparsity masks, gradient noise) are keyed by each instance's
/// data seed, given at construction, and the step, so a training step replays exactly and the same
/// seed gives the same draws on every backend.
/// </summary>
public interface IBatchedProblem : IDisposable
{
    IBackend Backend { get; }

    int Count { get; }

    /// <summary>Parameters per instance.</summary>
    int Dimension { get; }

    /// <summary>Exact, noise-free full-data loss and gradient.</summary>
    void Evaluate(TensorView theta, TensorView loss, TensorView gradient);

    /// <summary>hv = ∇²f(theta)·v of the full-data loss.</summary>
    void HessianVectorProduct(TensorView theta, TensorView v, TensorView hv);

    /// <summary>The loss and gradient a training step sees at <paramref name="step"/> (minibatch, masks, noise).</summary>
    void TrainingStep(TensorView theta, long step, TensorView loss, TensorView gradient);

    /// <summary>
    /// hv = J_tᵀ·v, J_t the Jacobian of <see cref="TrainingStep"/>'s gradient at <paramref name="step"/>:
    /// the minibatch Hessian with masks and wrappers' chain rules applied (additive noise has no derivative).
    /// </summary>
    void TrainingHvp(TensorView theta, long step, TensorView v, TensorView hv);
}
