using LearnedOpt.Data;
using LearnedOpt.Tensors;
using LearnedOpt.Randomness;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// A ReLU MLP classifier as a meta-training problem: softmax cross-entropy, mean over the rows of a
/// small labelled dataset that the instance owns (its whole "training set", so the full loss the
/// meta-objective reads is cheap), minibatches from the epoch schedule, hk.Linear initialisation
/// (truncated normal, σ = 1/√fan_in, zero biases). Tensors <c>layer{l}/w</c> (in, out) and
/// <c>layer{l}/b</c> (out), as the real-data MLPs. Dead ReLU units happen here as in real training:
/// the reason these problems are in the networks ensemble. No Hessian-vector product (TBPTT cannot
/// unroll it; the ES and PES estimators do not need one).
/// </summary>
public sealed class ReluClassifierTask : FlatTask
{
    private readonly MlpNetwork _net;
    private readonly EpochBatchSchedule _schedule;
    private readonly int _batchSize;

    public ReluClassifierTask(string name, string family, LabeledDataset data, IReadOnlyList<int> hidden, int batchSize)
        : base(name, family, Network(data, hidden).Tensors, 0)
    {
        Data = data;
        _net = Network(data, hidden);
        _schedule = new EpochBatchSchedule(data.Count, batchSize, "batches");
        _batchSize = batchSize;
        _allRows = Enumerable.Range(0, data.Count).ToArray();
    }

    // The full loss runs on the calling thread (the unrolls are already parallel over trajectories).
    private readonly int[] _allRows;

    private static MlpNetwork Network(LabeledDataset data, IReadOnlyList<int> hidden)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(hidden);
        return new MlpNetwork([data.FeatureCount, .. hidden, data.ClassCount], MlpActivation.Relu);
    }

    /// <summary>The tensors of a ReLU MLP with these widths (known without building an instance).</summary>
    public static IReadOnlyList<TensorSpec> Specs(int inputs, IReadOnlyList<int> hidden, int classes)
        => new MlpNetwork([inputs, .. hidden, classes], MlpActivation.Relu).Tensors;

    public LabeledDataset Data { get; }
    public override int BatchSize => _batchSize;

    /// <summary>Layer widths from input to output.</summary>
    public IReadOnlyList<int> LayerSizes => _net.Sizes;

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
        if (grad.IsEmpty) return _net.Batch(theta, Data, _allRows, null).Loss;
        CheckLength(grad, nameof(grad));
        var g = theta.Select(t => new double[t.Length]).ToArray();
        double f = _net.Batch(theta, Data, _allRows, g).Loss;
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
        for (int l = 0; l < _net.LayerCount; l++)
        {
            int w = _net.Sizes[l] * _net.Sizes[l + 1], b = _net.Sizes[l + 1];
            MlpInitialization.TruncatedNormalFanIn.Fill(rng, x.Slice(offset, w), _net.Sizes[l], isBias: false);
            MlpInitialization.TruncatedNormalFanIn.Fill(rng, x.Slice(offset + w, b), _net.Sizes[l], isBias: true);
            offset += w + b;
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
