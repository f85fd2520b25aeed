using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;
using LearnedOpt.Tensors;
using LearnedOpt.Tests.Hrnn;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// A non-quadratic multi-tensor problem for meta-gradient tests: f = ½‖Aθ − b‖² + (γ/4)Σθ⁴ over the
/// tensors concatenated, so the Hessian AᵀA + 3γ·diag(θ²) changes along the unroll and
/// second-order terms through it are exercised.
/// </summary>
internal sealed class QuarticLeastSquaresTask : FlatTask
{
    private readonly double[] _a, _b;
    private readonly int _m;
    private const double Gamma = 0.5;

    public QuarticLeastSquaresTask(int[] lengths, ulong seed)
        : base("quartic-ls", "test", lengths.Select((n, i) => new TensorSpec($"t{i}", n)).ToArray(), 0)
    {
        var rng = new Rng(seed).Fork("quartic");
        _m = Size + 2;
        _a = Enumerable.Range(0, _m * Size).Select(_ => rng.Gaussian(0, 1) / Math.Sqrt(Size)).ToArray();
        _b = Enumerable.Range(0, _m).Select(_ => rng.Gaussian(0, 1)).ToArray();
    }

    public override double Value(ReadOnlySpan<double> x, Span<double> grad)
    {
        var r = Residual(x);
        double f = 0;
        foreach (var ri in r) f += 0.5 * ri * ri;
        for (int j = 0; j < Size; j++) f += 0.25 * Gamma * Math.Pow(x[j], 4);
        if (!grad.IsEmpty)
            for (int j = 0; j < Size; j++)
            {
                double s = Gamma * x[j] * x[j] * x[j];
                for (int i = 0; i < _m; i++) s += _a[i * Size + j] * r[i];
                grad[j] = s;
            }
        return f;
    }

    public override void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
    {
        var av = new double[_m];
        for (int i = 0; i < _m; i++)
            for (int j = 0; j < Size; j++) av[i] += _a[i * Size + j] * v[j];
        for (int j = 0; j < Size; j++)
        {
            double s = 3 * Gamma * x[j] * x[j] * v[j];
            for (int i = 0; i < _m; i++) s += _a[i * Size + j] * av[i];
            hv[j] = s;
        }
    }

    public override void SampleInitial(Rng rng, Span<double> x)
    {
        for (int j = 0; j < x.Length; j++) x[j] = rng.Gaussian(0, 1);
    }

    private double[] Residual(ReadOnlySpan<double> x)
    {
        var r = new double[_m];
        for (int i = 0; i < _m; i++)
        {
            double s = -_b[i];
            for (int j = 0; j < Size; j++) s += _a[i * Size + j] * x[j];
            r[i] = s;
        }
        return r;
    }
}

internal static class MetaGradTestData
{
    /// <summary>
    /// Small HRNN weights (every path non-zero) in float64, with a larger learned LR bias so that
    /// θ moves visibly within a few steps and the meta-gradient flows through the task.
    /// </summary>
    public static HrnnParameters Weights(ulong seed, int h1 = 3, int h2 = 2)
        => HrnnParameters.FromWeights(HrnnTestData.Exercised(seed, h1, h2));

    /// <summary>A problem starting from a random θ₀ with F_init = F(θ₀) and ℓ₀ = −3 (steps of ≈ 0.02).</summary>
    public static TbpttProblem Problem(QuarticLeastSquaresTask task, ulong seed, GradientOracle? oracle = null, TbpttHrnnState? state0 = null)
    {
        var theta0 = task.SampleInitialPoint(new Rng(seed).Fork("theta0"));
        return new TbpttProblem(task, theta0, task.Loss(theta0, null), state0, oracle, InitialLogLr: -3.0);
    }

    /// <summary>Euclidean inner product of two gradients over every tensor.</summary>
    public static double Dot(HrnnParameters a, HrnnParameters b)
    {
        double s = 0;
        foreach (var (name, _) in a.Layout)
        {
            var x = a[name];
            var y = b[name];
            for (int i = 0; i < x.Length; i++) s += x[i] * y[i];
        }
        return s;
    }
}
