using LearnedOpt.Backends;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// <see cref="IBatchedProblem"/> over the deterministic batched kernels: a <see cref="HostProblemBatch"/>
/// run by its backend's problem-batch kernels (the CPU library, or problems.cu on CUDA). For the families it serves
/// (noise-free, full-data: test functions, bowls, quadratics, norms) a training step is the exact
/// evaluation, so <see cref="TrainingStep"/> = <see cref="Evaluate"/> at every step and
/// <see cref="TrainingHvp"/> = <see cref="HessianVectorProduct"/>.
/// </summary>
public sealed class HostBatchedProblem : IBatchedProblem
{
    private readonly HostProblemBatch _batch;
    private readonly IProblemBatchKernels _kernels;

    /// <summary>Wraps <paramref name="batch"/> on <paramref name="backend"/> (a device backend uploads its coefficients).</summary>
    public HostBatchedProblem(IBackend backend, HostProblemBatch batch)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(batch);
        if (batch is ClassifierBatch)
            throw new ArgumentException("Classifier batches have minibatches and no batched HVP; they need their own IBatchedProblem.", nameof(batch));
        _kernels = backend.Kernels.ProblemBatch(batch);
        Backend = backend;
        _batch = batch;
    }

    public IBackend Backend { get; }
    public int Count => _batch.Count;
    public int Dimension => _batch.Dimension;

    public void Evaluate(TensorView theta, TensorView loss, TensorView gradient) => _kernels.Evaluate(theta, loss, gradient);

    public void HessianVectorProduct(TensorView theta, TensorView v, TensorView hv) => _kernels.HessianVectorProduct(theta, v, hv);

    public void TrainingStep(TensorView theta, long step, TensorView loss, TensorView gradient)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        Evaluate(theta, loss, gradient);
    }

    public void TrainingHvp(TensorView theta, long step, TensorView v, TensorView hv)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        HessianVectorProduct(theta, v, hv);
    }

    public void Dispose() => _kernels.Dispose();
}
