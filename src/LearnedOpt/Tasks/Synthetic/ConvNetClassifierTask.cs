using LearnedOpt.Data;
using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// A small ConvNet (<see cref="ConvNetShape"/>: 3×3 convolution, ReLU, 2×2 max-pool blocks and a
/// linear head) as a meta-training problem: softmax cross-entropy, mean over the rows of a small
/// labelled dataset that the instance owns (its whole "training set", so the full loss the
/// meta-objective reads stays affordable), minibatches from the epoch schedule (<see cref="LabeledClassifierTask"/>).
/// The math is <see cref="ConvNetClassificationTask"/>'s (same tensors, same PyTorch initialisation,
/// uniform in ±1/√fan_in); this class lays it on one flat vector.
/// </summary>
public sealed class ConvNetClassifierTask : LabeledClassifierTask
{
    private readonly ConvNetwork _net;

    public ConvNetClassifierTask(string name, string family, LabeledDataset data, ConvNetShape shape, int batchSize)
        : base(name, family, CheckedShape(data, shape).Tensors, data, batchSize)
    {
        Shape = shape;
        _net = new ConvNetwork(shape);
    }

    private static ConvNetShape CheckedShape(LabeledDataset data, ConvNetShape shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        if (data.FeatureCount != shape.InputSize || data.ClassCount != shape.Classes)
            throw new ArgumentException($"The data ({data.FeatureCount} features, {data.ClassCount} classes) does not fit the ConvNet ({shape}).", nameof(data));
        return shape;
    }

    public ConvNetShape Shape { get; }

    private protected override double FullLoss(IReadOnlyList<double[]> theta, double[][]? gradient) => _net.Full(theta, Data, gradient).Loss;

    private protected override double BatchLoss(IReadOnlyList<double[]> theta, int[] rows, double[][]? gradient)
        => _net.Batch(theta, Data, rows, gradient).Loss;

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
}
