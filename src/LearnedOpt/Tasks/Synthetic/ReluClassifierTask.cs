using LearnedOpt.Data;
using LearnedOpt.Tensors;
using LearnedOpt.Randomness;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// A ReLU MLP classifier as a meta-training problem (<see cref="LabeledClassifierTask"/>: softmax cross-entropy
/// over a small labelled dataset the instance owns, minibatches from the epoch schedule), hk.Linear initialisation
/// (truncated normal, σ = 1/√fan_in, zero biases). Tensors <c>layer{l}/w</c> (in, out) and
/// <c>layer{l}/b</c> (out), as the real-data MLPs. Dead ReLU units happen here as in real training:
/// the reason these problems are in the networks ensemble.
/// </summary>
public sealed class ReluClassifierTask : LabeledClassifierTask
{
    private readonly MlpNetwork _net;

    public ReluClassifierTask(string name, string family, LabeledDataset data, IReadOnlyList<int> hidden, int batchSize)
        : base(name, family, Network(data, hidden).Tensors, data, batchSize)
    {
        _net = Network(data, hidden);
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

    /// <summary>Layer widths from input to output.</summary>
    public IReadOnlyList<int> LayerSizes => _net.Sizes;

    private protected override double FullLoss(IReadOnlyList<double[]> theta, double[][]? gradient)
        => _net.Batch(theta, Data, _allRows, gradient).Loss;

    private protected override double BatchLoss(IReadOnlyList<double[]> theta, int[] rows, double[][]? gradient)
        => _net.Batch(theta, Data, rows, gradient).Loss;

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
}
