using LearnedOpt.Backends;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// <see cref="IBatchedProblem"/> over the deterministic batched kernels: a <see cref="ProblemBatch"/>
/// on the CPU library, its <see cref="CudaProblemBatch"/> twin on CUDA. For the families it serves
/// (noise-free, full-data: test functions, bowls, quadratics, norms) a training step is the exact
/// evaluation, so <see cref="TrainingStep"/> = <see cref="Evaluate"/> at every step and
/// <see cref="TrainingHvp"/> = <see cref="HessianVectorProduct"/>.
/// </summary>
public sealed unsafe class ProblemBatchAdapter : IBatchedProblem
{
    private readonly ProblemBatch _batch;
    private readonly CudaProblemBatch? _cuda;

    /// <summary>Wraps <paramref name="batch"/> on <paramref name="backend"/> (uploads its coefficients on CUDA).</summary>
    public ProblemBatchAdapter(IBackend backend, ProblemBatch batch)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(batch);
        if (batch is ClassifierBatch)
            throw new ArgumentException("Classifier batches have minibatches and no batched HVP; they need their own IBatchedProblem.", nameof(batch));
        _cuda = backend switch
        {
            CpuBackend => null,
            CudaBackend cuda => new CudaProblemBatch(cuda, batch),
            _ => throw new NotSupportedException($"No batched problems on backend {backend.Kind}."),
        };
        Backend = backend;
        _batch = batch;
    }

    public IBackend Backend { get; }
    public int Count => _batch.Count;
    public int Dimension => _batch.Dimension;

    public void Evaluate(TensorView theta, TensorView loss, TensorView gradient)
    {
        if (_cuda != null)
        {
            _cuda.Evaluate(theta, loss, gradient);
            return;
        }
        _batch.Evaluate(Host(theta, nameof(theta)), Host(loss, nameof(loss)), Host(gradient, nameof(gradient)));
    }

    public void HessianVectorProduct(TensorView theta, TensorView v, TensorView hv)
    {
        if (_cuda != null)
        {
            _cuda.HessianVectorProduct(theta, v, hv);
            return;
        }
        _batch.HessianVectorProduct(Host(theta, nameof(theta)), Host(v, nameof(v)), Host(hv, nameof(hv)));
    }

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

    // A host tensor as a span (ProblemBatch checks the lengths); a null view is the empty "skip it" span.
    private static Span<float> Host(TensorView t, string name)
    {
        if (t.Location != MemoryLocation.Host)
            throw new ArgumentException($"'{name}' must be a host tensor on the CPU backend, got {t.Location}.", name);
        if (t.IsNull) return Span<float>.Empty;
        return new Span<float>(t.HostPointer, checked((int)t.Length));
    }

    public void Dispose() => _cuda?.Dispose();
}
