using LearnedOpt.Tasks.Batched;

namespace LearnedOpt.Backends.Cpu;

/// <summary>A <see cref="HostProblemBatch"/> on the CPU library: the batch's own launchers on host tensors.</summary>
internal sealed unsafe class CpuProblemBatchKernels(HostProblemBatch batch) : IProblemBatchKernels
{
    public void Evaluate(TensorView theta, TensorView loss, TensorView gradient)
        => batch.Evaluate(Host(theta, nameof(theta)), Host(loss, nameof(loss)), Host(gradient, nameof(gradient)));

    public void HessianVectorProduct(TensorView theta, TensorView v, TensorView hv)
        => batch.HessianVectorProduct(Host(theta, nameof(theta)), Host(v, nameof(v)), Host(hv, nameof(hv)));

    // A host tensor as a span (HostProblemBatch checks the lengths); a null view is the empty "skip it" span.
    private static Span<float> Host(TensorView t, string name)
    {
        if (t.Location != MemoryLocation.Host)
            throw new ArgumentException($"'{name}' must be a host tensor on the CPU backend, got {t.Location}.", name);
        if (t.IsNull) return Span<float>.Empty;
        return new Span<float>(t.HostPointer, checked((int)t.Length));
    }

    public void Dispose() { }
}
