using LearnedOpt.Backends;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// A <see cref="HostProblemBatch"/>'s evaluations on one backend (from <see cref="IBackendKernels.ProblemBatch"/>),
/// on tensors that live there; pass TensorView.None to skip an output. Work may be queued asynchronously.
/// </summary>
internal interface IProblemBatchKernels : IDisposable
{
    /// <summary>Loss (Count) and gradient (Count × Dimension) at theta.</summary>
    void Evaluate(TensorView theta, TensorView loss, TensorView gradient);

    /// <summary>hv = H(theta)·v per instance.</summary>
    void HessianVectorProduct(TensorView theta, TensorView v, TensorView hv);
}
