using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// Sum(P₁..P_m) (docs/tasks.md): θ is the concatenation of the sub-parameters (tensor names
/// prefixed "p{i}."), f = Σ fᵢ(θᵢ), init = the concatenated sub-inits. Each sub-problem's
/// training gradient keeps its own noise (decision 2); the parts draw from the rng's stream in order.
/// </summary>
public sealed class SumTask : FlatTask
{
    public SumTask(string name, IReadOnlyList<FlatTask> parts)
        : base(name, "sum", Specs(parts), 0)
    {
        Parts = parts;
        var offsets = new int[parts.Count];
        for (int i = 1; i < parts.Count; i++) offsets[i] = offsets[i - 1] + parts[i - 1].Size;
        Offsets = offsets;
    }

    public IReadOnlyList<FlatTask> Parts { get; }

    /// <summary>Start of each part in the flat vector.</summary>
    public IReadOnlyList<int> Offsets { get; }

    private static List<TensorSpec> Specs(IReadOnlyList<FlatTask> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("A sum needs at least one part.", nameof(parts));
        return parts.SelectMany((p, i) => p.Parameters.Select(t => new TensorSpec($"p{i}.{t.Name}", t.Shape))).ToList();
    }

    public override double Value(ReadOnlySpan<double> x, Span<double> grad)
    {
        CheckLength(x, nameof(x));
        double f = 0;
        for (int i = 0; i < Parts.Count; i++)
        {
            var p = Parts[i];
            f += p.Value(x.Slice(Offsets[i], p.Size), grad.IsEmpty ? grad : grad.Slice(Offsets[i], p.Size));
        }
        return f;
    }

    public override double TrainingValue(ReadOnlySpan<double> x, Span<double> grad, Rng rng, long step)
    {
        CheckLength(grad, nameof(grad));
        double f = 0;
        for (int i = 0; i < Parts.Count; i++)
        {
            var p = Parts[i];
            f += p.TrainingValue(x.Slice(Offsets[i], p.Size), grad.Slice(Offsets[i], p.Size), rng, step);
        }
        return f;
    }

    protected internal override double MinibatchValue(ReadOnlySpan<double> x, Span<double> grad, Rng rng, long step)
    {
        double f = 0;
        for (int i = 0; i < Parts.Count; i++)
        {
            var p = Parts[i];
            f += p.MinibatchValue(x.Slice(Offsets[i], p.Size), grad.IsEmpty ? grad : grad.Slice(Offsets[i], p.Size), rng, step);
        }
        return f;
    }

    // Part i saw the stream after parts 0..i−1 drew theirs: replay those draws on a copy.
    public override void TrainingHvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv, Rng rng, long step)
    {
        var replay = Replica(rng);
        for (int i = 0; i < Parts.Count; i++)
        {
            var p = Parts[i];
            var xi = x.Slice(Offsets[i], p.Size);
            p.TrainingHvp(xi, v.Slice(Offsets[i], p.Size), hv.Slice(Offsets[i], p.Size), replay, step);
            p.TrainingValue(xi, new double[p.Size], replay, step);
        }
    }

    public override void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
    {
        for (int i = 0; i < Parts.Count; i++)
        {
            var p = Parts[i];
            p.Hvp(x.Slice(Offsets[i], p.Size), v.Slice(Offsets[i], p.Size), hv.Slice(Offsets[i], p.Size));
        }
    }

    public override void SampleInitial(Rng rng, Span<double> x)
    {
        for (int i = 0; i < Parts.Count; i++) Parts[i].SampleInitial(rng, x.Slice(Offsets[i], Parts[i].Size));
    }
}
