using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>One 2-D test function as a task: one tensor "x" of shape [2] holding (x, y).</summary>
public sealed class TestFunctionTask(TestFunction function, double noiseStd = 0, string? name = null)
    : FlatTask(name ?? TestFunctions.Name(function) + (noiseStd > 0 ? "-noisy" : ""), "test-function", [new TensorSpec("x", 2)], noiseStd)
{
    public TestFunction Function { get; } = Enum.IsDefined(function)
        ? function
        : throw new ArgumentOutOfRangeException(nameof(function), function, "Unknown test function.");

    public override double Value(ReadOnlySpan<double> x, Span<double> grad)
    {
        CheckLength(x, nameof(x));
        if (!grad.IsEmpty) CheckLength(grad, nameof(grad));
        return TestFunctions.Evaluate(Function, x[0], x[1], grad, Span<double>.Empty);
    }

    public override void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
    {
        Span<double> h = stackalloc double[3];
        TestFunctions.Evaluate(Function, x[0], x[1], Span<double>.Empty, h);
        hv[0] = h[0] * v[0] + h[1] * v[1];
        hv[1] = h[1] * v[0] + h[2] * v[1];
    }

    public override void SampleInitial(Rng rng, Span<double> x) => (x[0], x[1]) = TestFunctions.SampleInitial(Function, rng);
}
