using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// Quadratic(n) (docs/tasks.md): f = ½‖Wθ − y‖² with W, y ~ N(0,1) fixed by the instance seed;
/// θ0 ~ N(0,1). One tensor "x" of shape [n].
/// </summary>
public sealed class QuadraticTask : FlatTask
{
    public QuadraticTask(int n, ulong seed, double noiseStd = 0, string? name = null)
        : base(name ?? $"quadratic-{n}", "quadratic", [new TensorSpec("x", CheckN(n))], noiseStd)
    {
        N = n;
        (W, Y) = SampleCoefficients(n, seed);
    }

    // The same instance (shared W, y) without gradient noise: the leaf under a batched noise wrapper.
    private QuadraticTask(QuadraticTask noisy) : base(noisy.Name, noisy.Family, noisy.Parameters, 0) => (N, W, Y) = (noisy.N, noisy.W, noisy.Y);

    internal QuadraticTask WithoutNoise() => NoiseStd == 0 ? this : new(this);

    public int N { get; }

    /// <summary>Row-major n × n.</summary>
    public double[] W { get; }
    public double[] Y { get; }

    internal static int CheckN(int n) => n >= 1 ? n : throw new ArgumentOutOfRangeException(nameof(n), n, "Dimension must be >= 1.");

    /// <summary>The W, y draw shared by Quadratic and Norm (same seed, same coefficients).</summary>
    internal static (double[] W, double[] Y) SampleCoefficients(int n, ulong seed)
    {
        var rng = new Rng(seed).Fork("coefficients");
        var w = new double[n * n];
        var y = new double[n];
        for (int i = 0; i < w.Length; i++) w[i] = rng.NextGaussian();
        for (int i = 0; i < n; i++) y[i] = rng.NextGaussian();
        return (w, y);
    }

    public override double Value(ReadOnlySpan<double> x, Span<double> grad)
    {
        CheckLength(x, nameof(x));
        if (!grad.IsEmpty) CheckLength(grad, nameof(grad));
        return DenseMath.LeastSquares(W, N, N, Y, x, grad);
    }

    public override void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
    {
        DenseMath.LeastSquaresHvp(W, N, N, v, hv);
    }

    public override void SampleInitial(Rng rng, Span<double> x) => FillGaussian(rng, x);
}
