using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;
using LearnedOpt.Tensors;

namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>
/// f(x) = ½‖Ax − b‖² with A (m × n, row-major) and b (m) given, one tensor "x" of shape [n]:
/// the problem of <c>lopt meta-grad</c>. Gradient Aᵀ(Ax − b), Hessian AᵀA; no noise.
/// </summary>
public sealed class LeastSquaresTask : FlatTask
{
    public LeastSquaresTask(double[] a, double[] b, int m, int n, string name = "least-squares")
        : base(name, "least-squares", [new TensorSpec("x", CheckSizes(a, b, m, n))], 0)
    {
        A = (double[])a.Clone();
        B = (double[])b.Clone();
        M = m;
        N = n;
    }

    public double[] A { get; }
    public double[] B { get; }
    public int M { get; }
    public int N { get; }

    private static int CheckSizes(double[] a, double[] b, int m, int n)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        if (a.Length != (long)m * n) throw new ArgumentException($"A has {a.Length} values, expected m·n = {m}·{n}.", nameof(a));
        if (b.Length != m) throw new ArgumentException($"b has {b.Length} values, expected m = {m}.", nameof(b));
        return n;
    }

    public override double Value(ReadOnlySpan<double> x, Span<double> grad)
    {
        CheckLength(x, nameof(x));
        if (!grad.IsEmpty) CheckLength(grad, nameof(grad));
        return DenseMath.LeastSquares(A, M, N, B, x, grad);
    }

    public override void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
    {
        DenseMath.LeastSquaresHvp(A, M, N, v, hv);
    }

    public override void SampleInitial(Rng rng, Span<double> x) => x.Clear();
}
