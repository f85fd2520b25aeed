using LearnedOpt.Tasks;

namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>
/// Writes the gradient the optimizer sees at local step t (0-based within the truncation) at θ_t,
/// e.g. a minibatch or noisy gradient from <see cref="ITask.TrainingLoss"/>. Its randomness has no
/// derivative; how it depends on θ is given by a <see cref="TrainingHessianProduct"/> (without
/// one, second-order terms use the Hessian of the exact loss).
/// </summary>
public delegate void GradientOracle(int step, IReadOnlyList<double[]> theta, double[][] gradient);

/// <summary>
/// hv = J_tᵀ·v, where J_t is the Jacobian with respect to θ of the gradient the oracle writes at local
/// step t (same minibatch, mask and noise draw): the Hessian the second-order term of step t needs.
/// </summary>
public delegate void TrainingHessianProduct(int step, IReadOnlyList<double[]> theta, IReadOnlyList<double[]> v, double[][] hv);

/// <summary>
/// One problem of a TBPTT batch: the task, θ at the start of the truncation, F_init (the exact loss
/// at the start of the episode), and the optimizer state entering the truncation. A null
/// <paramref name="State0"/> starts from the default initial state (h0 tensors, ℓ = <paramref name="InitialLogLr"/>
/// or ln 1e-4) and then the h0 tensors receive gradient; a given state is a constant (truncation).
/// A null <paramref name="Oracle"/> feeds the exact gradient of <see cref="ITask.Loss"/>. A null
/// <paramref name="TrainingHessian"/> uses <see cref="ITaskWithHessian.HessianVectorProduct"/> (the
/// full-data Hessian): exact when the oracle's gradient equals the loss's up to θ-independent noise;
/// for minibatches or masks give the oracle's own (<see cref="TrainingOracle"/> builds both).
/// </summary>
public sealed record TbpttProblem(
    ITaskWithHessian Task,
    double[][] Theta0,
    double InitialLoss,
    TbpttHrnnState? State0 = null,
    GradientOracle? Oracle = null,
    double? InitialLogLr = null,
    TrainingHessianProduct? TrainingHessian = null);

/// <summary>
/// Unroll settings shared by a batch: T steps; <paramref name="FirstOrder"/> treats the inner
/// gradient as a constant input (no Hessian-vector products); the backward replays from a
/// checkpoint every <paramref name="CheckpointEvery"/> steps (0 or ≥ T: one stored tape).
/// </summary>
public sealed record TbpttOptions(int Steps, bool FirstOrder = false, int CheckpointEvery = 0);
