using LearnedOpt.Cpu;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks.Batched;

/// <summary>Count instances of one 2-D test function.</summary>
public sealed class TestFunctionBatch(TestFunction function, int count) : HostProblemBatch(count, 2)
{
    public TestFunction Function { get; } = function;
    protected override void Run(ReadOnlySpan<float> theta, Span<float> loss, Span<float> gradient, ReadOnlySpan<float> v, Span<float> hv)
        => CpuProblems.TestFunction(Function, Count, theta, loss, gradient, v, hv);
}
