using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// Bowl(κ, α) (docs/tasks.md): f = ½‖Aθ‖² with A = diag(√κ, 1)·R(α); θ0 ~ N(0,1); f* = 0 at 0.
/// One tensor "x" of shape [2]. No random coefficients: the seed is unused.
/// </summary>
public sealed class BowlTask : FlatTask
{
    public BowlTask(double kappa, double angle = 0, double noiseStd = 0, string? name = null)
        : base(name ?? DefaultName(kappa, angle, noiseStd), "bowl", [new TensorSpec("x", 2)], noiseStd)
    {
        if (!(kappa > 0) || double.IsInfinity(kappa))
            throw new ArgumentOutOfRangeException(nameof(kappa), kappa, "Condition number kappa must be finite and > 0.");
        if (!double.IsFinite(angle)) throw new ArgumentOutOfRangeException(nameof(angle), angle, "Angle must be finite.");
        Kappa = kappa;
        Angle = angle;
        double c = Math.Cos(angle), s = Math.Sin(angle), k = Math.Sqrt(kappa);
        A = [k * c, -k * s, s, c];
    }

    public double Kappa { get; }
    public double Angle { get; }

    /// <summary>Row-major 2 × 2.</summary>
    public double[] A { get; }

    private static string DefaultName(double kappa, double angle, double noiseStd)
        => $"bowl-{kappa.ToString(System.Globalization.CultureInfo.InvariantCulture)}{(angle != 0 ? "-rot" : "")}{(noiseStd > 0 ? "-noisy" : "")}";

    public override double Value(ReadOnlySpan<double> x, Span<double> grad)
    {
        CheckLength(x, nameof(x));
        Span<double> r = stackalloc double[2];
        DenseMath.MatVec(A, 2, 2, x, ReadOnlySpan<double>.Empty, r);
        if (!grad.IsEmpty)
        {
            CheckLength(grad, nameof(grad));
            DenseMath.MatTVec(A, 2, 2, r, grad);
        }
        return 0.5 * (r[0] * r[0] + r[1] * r[1]);
    }

    public override void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
    {
        Span<double> r = stackalloc double[2];
        DenseMath.MatVec(A, 2, 2, v, ReadOnlySpan<double>.Empty, r);
        DenseMath.MatTVec(A, 2, 2, r, hv);
    }

    public override void SampleInitial(Rng rng, Span<double> x) => FillGaussian(rng, x);
}
