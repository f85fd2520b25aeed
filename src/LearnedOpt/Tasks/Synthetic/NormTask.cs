using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// Norm(n, p) (docs/tasks.md): r = Wθ − y with Quadratic's coefficients and init,
/// f = (Σ (|rᵢ| + 10⁻⁶)^p)^{1/p}. One tensor "x" of shape [n].
/// </summary>
public sealed class NormTask : FlatTask
{
    public const double Epsilon = 1e-6;

    public NormTask(int n, double p, ulong seed, double noiseStd = 0, string? name = null)
        : base(name ?? $"norm-{n}-{p.ToString(System.Globalization.CultureInfo.InvariantCulture)}", "norm", [new TensorSpec("x", QuadraticTask.CheckN(n))], noiseStd)
    {
        if (!(p >= 1) || double.IsInfinity(p))
            throw new ArgumentOutOfRangeException(nameof(p), p, "Norm exponent p must be finite and >= 1 (p < 1 gives NaN gradients).");
        N = n;
        P = p;
        (W, Y) = QuadraticTask.SampleCoefficients(n, seed);
    }

    // The same instance (shared W, y) without gradient noise: the leaf under a batched noise wrapper.
    private NormTask(NormTask noisy) : base(noisy.Name, noisy.Family, noisy.Parameters, 0) => (N, P, W, Y) = (noisy.N, noisy.P, noisy.W, noisy.Y);

    internal NormTask WithoutNoise() => NoiseStd == 0 ? this : new(this);

    public int N { get; }
    public double P { get; }
    public double[] W { get; }
    public double[] Y { get; }

    // Residual, a = |r| + ε and f; u = ∂f/∂r = f^{1−p} a^{p−1} sign(r).
    private (double[] R, double[] A, double F) Forward(ReadOnlySpan<double> x)
    {
        var r = new double[N];
        DenseMath.MatVec(W, N, N, x, Y, r);
        var a = new double[N];
        double s = 0;
        for (int i = 0; i < N; i++)
        {
            a[i] = Math.Abs(r[i]) + Epsilon;
            s += Math.Pow(a[i], P);
        }
        return (r, a, Math.Pow(s, 1 / P));
    }

    private double[] Du(double[] r, double[] a, double f)
    {
        var u = new double[N];
        double scale = Math.Pow(f, 1 - P);
        for (int i = 0; i < N; i++) u[i] = scale * Math.Pow(a[i], P - 1) * Math.Sign(r[i]);
        return u;
    }

    public override double Value(ReadOnlySpan<double> x, Span<double> grad)
    {
        CheckLength(x, nameof(x));
        var (r, a, f) = Forward(x);
        if (!grad.IsEmpty)
        {
            CheckLength(grad, nameof(grad));
            DenseMath.MatTVec(W, N, N, Du(r, a, f), grad);
        }
        return f;
    }

    // ∇²_r f = (1−p)/f · u uᵀ + (p−1) f^{1−p} diag(a^{p−2}) away from the kinks rᵢ = 0.
    public override void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
    {
        var (r, a, f) = Forward(x);
        var u = Du(r, a, f);
        var wv = new double[N];
        DenseMath.MatVec(W, N, N, v, ReadOnlySpan<double>.Empty, wv);
        double uw = 0;
        for (int i = 0; i < N; i++) uw += u[i] * wv[i];
        double diag = (P - 1) * Math.Pow(f, 1 - P);
        var hr = new double[N];
        for (int i = 0; i < N; i++) hr[i] = (1 - P) / f * u[i] * uw + diag * Math.Pow(a[i], P - 2) * wv[i];
        DenseMath.MatTVec(W, N, N, hr, hv);
    }

    public override void SampleInitial(Rng rng, Span<double> x) => FillGaussian(rng, x);
}
