using LearnedOpt.Randomness;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// Rescale(P, s) (docs/tasks.md): f_s(θ) = f_P(θ/s), θ0 = s·θ0_P. Same minimum value,
/// minimizer s·θ*. The sub-problem's gradient noise passes through the chain rule (decision 2).
/// </summary>
public sealed class RescaleTask : FlatTask
{
    public RescaleTask(FlatTask inner, double scale, string? name = null)
        : base(name ?? $"rescale-{inner.Name}", "rescale", inner.Parameters, 0)
    {
        if (!(scale > 0) || double.IsInfinity(scale))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "Rescale factor must be finite and > 0.");
        Inner = inner;
        Scale = scale;
    }

    public FlatTask Inner { get; }
    public double Scale { get; }

    private double[] Down(ReadOnlySpan<double> x)
    {
        CheckLength(x, nameof(x));
        var z = new double[Size];
        for (int i = 0; i < Size; i++) z[i] = x[i] / Scale;
        return z;
    }

    public override double Value(ReadOnlySpan<double> x, Span<double> grad)
    {
        double f = Inner.Value(Down(x), grad);
        for (int i = 0; i < grad.Length; i++) grad[i] /= Scale;
        return f;
    }

    public override double TrainingValue(ReadOnlySpan<double> x, Span<double> grad, Rng rng, long step)
    {
        double f = Inner.TrainingValue(Down(x), grad, rng, step);
        for (int i = 0; i < grad.Length; i++) grad[i] /= Scale;
        return f;
    }

    protected internal override double MinibatchValue(ReadOnlySpan<double> x, Span<double> grad, Rng rng, long step)
    {
        double f = Inner.MinibatchValue(Down(x), grad, rng, step);
        for (int i = 0; i < grad.Length; i++) grad[i] /= Scale;
        return f;
    }

    public override void TrainingHvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv, Rng rng, long step)
    {
        Inner.TrainingHvp(Down(x), v, hv, rng, step);
        double s2 = Scale * Scale;
        for (int i = 0; i < hv.Length; i++) hv[i] /= s2;
    }

    public override void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
    {
        Inner.Hvp(Down(x), v, hv);
        double s2 = Scale * Scale;
        for (int i = 0; i < hv.Length; i++) hv[i] /= s2;
    }

    public override void SampleInitial(Rng rng, Span<double> x)
    {
        Inner.SampleInitial(rng, x);
        for (int i = 0; i < x.Length; i++) x[i] *= Scale;
    }
}
