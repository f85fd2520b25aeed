using LearnedOpt.Randomness;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// Sparse(P, q) (docs/tasks.md): same loss; at every training step each gradient coordinate is
/// zeroed independently with probability q (0.99 in the ensemble), the others keep the
/// sub-problem's (possibly noisy) gradient.
/// </summary>
public sealed class SparseTask : FlatTask
{
    public const double DefaultDropProbability = 0.99;

    public SparseTask(FlatTask inner, double dropProbability = DefaultDropProbability, string? name = null)
        : base(name ?? $"sparse-{inner.Name}", "sparse", inner.Parameters, 0)
    {
        if (!(dropProbability >= 0 && dropProbability < 1))
            throw new ArgumentOutOfRangeException(nameof(dropProbability), dropProbability, "Drop probability must be in [0, 1).");
        Inner = inner;
        DropProbability = dropProbability;
    }

    public FlatTask Inner { get; }
    public double DropProbability { get; }
    public override int BatchSize => Inner.BatchSize;

    public override double Value(ReadOnlySpan<double> x, Span<double> grad) => Inner.Value(x, grad);

    public override double TrainingValue(ReadOnlySpan<double> x, Span<double> grad, Rng rng, long step)
    {
        double f = Inner.TrainingValue(x, grad, rng, step);
        for (int i = 0; i < grad.Length; i++)
            if (rng.NextDouble() < DropProbability) grad[i] = 0;
        return f;
    }

    protected internal override double MinibatchValue(ReadOnlySpan<double> x, Span<double> grad, Rng rng, long step)
        => Inner.MinibatchValue(x, grad, rng, step);

    // g = m ⊙ g̃_P, so Jᵀv = J_Pᵀ(m ⊙ v). The mask is replayed: the sub-problem's draws, then q per coordinate.
    public override void TrainingHvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv, Rng rng, long step)
    {
        var replay = Replica(rng);
        Inner.TrainingValue(x, new double[Size], replay, step);
        var masked = new double[Size];
        for (int i = 0; i < Size; i++) masked[i] = replay.NextDouble() < DropProbability ? 0 : v[i];
        Inner.TrainingHvp(x, masked, hv, rng, step);
    }

    public override void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv) => Inner.Hvp(x, v, hv);

    public override void SampleInitial(Rng rng, Span<double> x) => Inner.SampleInitial(rng, x);
}
