using LearnedOpt.Randomness;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// Log(P) (docs/tasks.md): f = ln(f_P + 10⁻⁶) − ln 10⁻⁶ ≥ 0, same minimizer, 0 where f_P = 0.
/// The sub-problem's (noisy) training gradient is divided by f_P + 10⁻⁶.
/// </summary>
public sealed class LogTask(FlatTask inner, string? name = null)
    : FlatTask(name ?? $"log-{inner.Name}", "log", inner.Parameters, 0)
{
    public const double Epsilon = 1e-6;
    private static readonly double LogEpsilon = Math.Log(Epsilon);

    public FlatTask Inner { get; } = inner;

    public override double Value(ReadOnlySpan<double> x, Span<double> grad) => Transform(Inner.Value(x, grad), grad);

    public override double TrainingValue(ReadOnlySpan<double> x, Span<double> grad, Rng rng, long step)
        => Transform(Inner.TrainingValue(x, grad, rng, step), grad);

    protected internal override double MinibatchValue(ReadOnlySpan<double> x, Span<double> grad, Rng rng, long step)
        => Transform(Inner.MinibatchValue(x, grad, rng, step), grad);

    // g = g̃_P/d with d = f_P + ε (f_P the minibatch loss, g̃_P the sub-problem's training gradient):
    // Jᵀv = J_Pᵀv/d − ∇f_P (g̃_P·v)/d².
    public override void TrainingHvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv, Rng rng, long step)
    {
        var noisy = new double[Size];
        var exact = new double[Size];
        double d = Inner.TrainingValue(x, noisy, Replica(rng), step) + Epsilon;
        Inner.MinibatchValue(x, exact, rng, step);
        Inner.TrainingHvp(x, v, hv, rng, step);
        double gv = 0;
        for (int i = 0; i < Size; i++) gv += noisy[i] * v[i];
        for (int i = 0; i < Size; i++) hv[i] = hv[i] / d - exact[i] * gv / (d * d);
    }

    private static double Transform(double fp, Span<double> grad)
    {
        double d = fp + Epsilon;
        for (int i = 0; i < grad.Length; i++) grad[i] /= d;
        return Math.Log(d) - LogEpsilon;
    }

    // ∇²f = ∇²f_P/d − ∇f_P ∇f_Pᵀ/d² with d = f_P + ε.
    public override void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
    {
        var g = new double[Size];
        double d = Inner.Value(x, g) + Epsilon;
        Inner.Hvp(x, v, hv);
        double gv = 0;
        for (int i = 0; i < Size; i++) gv += g[i] * v[i];
        for (int i = 0; i < Size; i++) hv[i] = hv[i] / d - g[i] * gv / (d * d);
    }

    public override void SampleInitial(Rng rng, Span<double> x) => Inner.SampleInitial(rng, x);
}
