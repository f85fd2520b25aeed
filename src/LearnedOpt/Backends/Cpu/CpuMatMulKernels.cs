using LearnedOpt.Cpu;
using LearnedOpt.Tasks.Batched;

namespace LearnedOpt.Backends.Cpu;

/// <summary>MatMulAlgorithm(n, k) on the CPU library (lopt_matmul.h, float64 inside, OpenMP over instances).</summary>
internal sealed unsafe class CpuMatMulKernels : IMatMulKernels
{
    private readonly int _count, _n, _k;

    public CpuMatMulKernels(int count, int n, int k)
    {
        CpuProblems.EnsureLoaded();
        (_count, _n, _k) = (count, n, k);
    }

    public void Run(TensorView theta, TensorView loss, TensorView gradient, TensorView v, TensorView hv)
        => CpuProblems.MatMul(_count, _n, _k, Host(theta), Host(loss), Host(gradient), Host(v), Host(hv));

    // A checked host tensor as a span; None is the empty "skip it" span.
    private static Span<float> Host(TensorView t) => t.IsNull ? Span<float>.Empty : new Span<float>(t.HostPointer, checked((int)t.Length));

    public void Dispose() { }
}
