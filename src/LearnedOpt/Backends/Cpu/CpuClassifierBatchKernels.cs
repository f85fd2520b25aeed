using LearnedOpt.Tasks.Batched;

namespace LearnedOpt.Backends.Cpu;

/// <summary>A <see cref="ClassifierBatch"/> on the CPU library (OpenMP over instances) on host tensors.</summary>
internal sealed unsafe class CpuClassifierBatchKernels(ClassifierBatch batch) : IClassifierBatchKernels
{
    public void Evaluate(TensorView theta, TensorView loss, TensorView gradient)
        => batch.Evaluate(Host(theta, nameof(theta)), Host(loss, nameof(loss)), Host(gradient, nameof(gradient)));

    public void HessianVectorProduct(TensorView theta, TensorView v, TensorView hv)
        => batch.HessianVectorProduct(Host(theta, nameof(theta)), Host(v, nameof(v)), Host(hv, nameof(hv)));

    public void EvaluateRows(TensorView theta, ReadOnlySpan<int> batchRows, int batchSize, TensorView loss, TensorView gradient)
        => batch.EvaluateRows(Host(theta, nameof(theta)), batchRows, batchSize, Host(loss, nameof(loss)), Host(gradient, nameof(gradient)));

    public void HessianVectorProductRows(TensorView theta, ReadOnlySpan<int> batchRows, int batchSize, TensorView v, TensorView hv)
        => batch.HessianVectorProductRows(Host(theta, nameof(theta)), batchRows, batchSize, Host(v, nameof(v)), Host(hv, nameof(hv)));

    private static Span<float> Host(TensorView t, string name)
    {
        if (t.Location != MemoryLocation.Host)
            throw new ArgumentException($"'{name}' lives on {t.Location}; the CPU backend needs host memory.", name);
        return t.IsNull ? Span<float>.Empty : new Span<float>(t.HostPointer, checked((int)t.Length));
    }

    public void Dispose() { }
}
