using LearnedOpt.Data;
using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// A small ConvNet (<see cref="ConvNetShape"/>: 3×3 convolution, ReLU, 2×2 max-pool blocks and a
/// linear head) as a meta-training problem: softmax cross-entropy, mean over the rows of a small
/// labelled dataset that the instance owns (its whole "training set", so the full loss the
/// meta-objective reads stays affordable), minibatches from the epoch schedule. The math is
/// <see cref="ConvNetClassificationTask"/>'s (same tensors, same PyTorch initialisation, uniform in
/// ±1/√fan_in); this class lays it on one flat vector. No Hessian-vector product, as for
/// <see cref="ReluClassifierTask"/> (the ES and PES estimators do not need one).
/// </summary>
public sealed class ConvNetClassifierTask : FlatTask
{
    private readonly ConvNetwork _net;
    private readonly EpochBatchSchedule _schedule;
    private readonly int _batchSize;

    public ConvNetClassifierTask(string name, string family, LabeledDataset data, ConvNetShape shape, int batchSize)
        : base(name, family, CheckedShape(data, shape).Tensors, 0)
    {
        Data = data;
        Shape = shape;
        _net = new ConvNetwork(shape);
        _schedule = new EpochBatchSchedule(data.Count, batchSize, "batches");
        _batchSize = batchSize;
    }

    private static ConvNetShape CheckedShape(LabeledDataset data, ConvNetShape shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        if (data.FeatureCount != shape.InputSize || data.ClassCount != shape.Classes)
            throw new ArgumentException($"The data ({data.FeatureCount} features, {data.ClassCount} classes) does not fit the ConvNet ({shape}).", nameof(data));
        return shape;
    }

    public LabeledDataset Data { get; }
    public ConvNetShape Shape { get; }
    public override int BatchSize => _batchSize;

    /// <summary>The rows the training step <paramref name="step"/> reads.</summary>
    public int[] BatchRows(Rng rng, long step)
    {
        var rows = new int[_batchSize];
        _schedule.Fill(rng, step, rows);
        return rows;
    }

    public override double Value(ReadOnlySpan<double> x, Span<double> grad)
    {
        CheckLength(x, nameof(x));
        var theta = Split(x);
        if (grad.IsEmpty) return _net.Full(theta, Data, null).Loss;
        CheckLength(grad, nameof(grad));
        var g = theta.Select(t => new double[t.Length]).ToArray();
        double f = _net.Full(theta, Data, g).Loss;
        Gather(g, grad);
        return f;
    }

    protected internal override double MinibatchValue(ReadOnlySpan<double> x, Span<double> grad, Rng rng, long step)
    {
        CheckLength(x, nameof(x));
        var theta = Split(x);
        var rows = BatchRows(rng, step);
        if (grad.IsEmpty) return _net.Batch(theta, Data, rows, null).Loss;
        var g = theta.Select(t => new double[t.Length]).ToArray();
        double f = _net.Batch(theta, Data, rows, g).Loss;
        Gather(g, grad);
        return f;
    }

    public override void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
        => throw new NotSupportedException($"Task '{Name}' has no Hessian-vector product: meta-train it with the es or pes estimator, not tbptt.");

    public override void SampleInitial(Rng rng, Span<double> x)
    {
        ArgumentNullException.ThrowIfNull(rng);
        CheckLength(x, nameof(x));
        int offset = 0;
        for (int t = 0; t < Parameters.Count; t++)
        {
            int n = (int)Parameters[t].Length;
            double bound = 1.0 / Math.Sqrt(Shape.FanIn(t));
            for (int i = 0; i < n; i++) x[offset + i] = rng.Uniform(-bound, bound);
            offset += n;
        }
    }

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
