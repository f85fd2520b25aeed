using LearnedOpt.Data;
using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// A softmax classifier as a meta-training problem: cross-entropy, mean over the rows of a small
/// <see cref="LabeledDataset"/> that the instance owns (its whole "training set", so the full loss
/// the meta-objective reads stays affordable), minibatches from the epoch schedule. A subclass gives
/// the network: its loss and gradient over all rows or over some, and its initialisation. No
/// Hessian-vector product (TBPTT cannot unroll these; the ES and PES estimators do not need one).
/// </summary>
public abstract class LabeledClassifierTask : FlatTask
{
    private readonly EpochBatchSchedule _schedule;
    private readonly int _batchSize;

    protected LabeledClassifierTask(string name, string family, IReadOnlyList<TensorSpec> tensors, LabeledDataset data, int batchSize)
        : base(name, family, tensors, 0)
    {
        Data = data;
        _schedule = new EpochBatchSchedule(data.Count, batchSize, "batches");
        _batchSize = batchSize;
    }

    public LabeledDataset Data { get; }
    public override int BatchSize => _batchSize;

    /// <summary>The rows the training step <paramref name="step"/> reads.</summary>
    public int[] BatchRows(Rng rng, long step)
    {
        var rows = new int[_batchSize];
        _schedule.Fill(rng, step, rows);
        return rows;
    }

    /// <summary>The mean loss over every row of <see cref="Data"/>; with <paramref name="gradient"/>, its gradient per tensor.</summary>
    private protected abstract double FullLoss(IReadOnlyList<double[]> theta, double[][]? gradient);

    /// <summary>The mean loss over <paramref name="rows"/>; with <paramref name="gradient"/>, its gradient per tensor.</summary>
    private protected abstract double BatchLoss(IReadOnlyList<double[]> theta, int[] rows, double[][]? gradient);

    public override double Value(ReadOnlySpan<double> x, Span<double> grad)
    {
        CheckLength(x, nameof(x));
        var theta = Split(x);
        if (grad.IsEmpty) return FullLoss(theta, null);
        CheckLength(grad, nameof(grad));
        var g = theta.Select(t => new double[t.Length]).ToArray();
        double f = FullLoss(theta, g);
        Gather(g, grad);
        return f;
    }

    protected internal override double MinibatchValue(ReadOnlySpan<double> x, Span<double> grad, Rng rng, long step)
    {
        CheckLength(x, nameof(x));
        var theta = Split(x);
        var rows = BatchRows(rng, step);
        if (grad.IsEmpty) return BatchLoss(theta, rows, null);
        var g = theta.Select(t => new double[t.Length]).ToArray();
        double f = BatchLoss(theta, rows, g);
        Gather(g, grad);
        return f;
    }

    public override void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
        => throw new NotSupportedException($"Task '{Name}' has no Hessian-vector product: meta-train it with the es or pes estimator, not tbptt.");

    private static void Gather(double[][] tensors, Span<double> flat)
    {
        int offset = 0;
        foreach (var t in tensors)
        {
            t.CopyTo(flat.Slice(offset, t.Length));
            offset += t.Length;
        }
    }
}
