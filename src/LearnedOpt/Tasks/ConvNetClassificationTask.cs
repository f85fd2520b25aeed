using LearnedOpt.Data;
using LearnedOpt.Tensors;
using LearnedOpt.Randomness;

namespace LearnedOpt.Tasks;

/// <summary>
/// Image classification with a small ConvNet (<see cref="ConvNetShape"/>, <see cref="ConvNetwork"/>),
/// mean softmax cross-entropy. As in <see cref="MlpClassificationTask"/>: a training step's gradient
/// comes from the batch its <see cref="BatchSchedule"/> picks from the train split, <see cref="Loss"/>
/// is the mean over the whole train split, the test split is only evaluated; float64 throughout.
/// Initialisation is PyTorch's default for Conv2d and Linear: every weight and bias uniform in
/// ±1/√fan_in, fan_in = c_in·9 for a convolution and the feature count for the head.
/// </summary>
public sealed class ConvNetClassificationTask : ITask, IHasTestSplit
{
    private readonly ConvNetwork _net;
    private readonly BatchSchedule _schedule;
    private readonly int[] _rows;

    public ConvNetClassificationTask(string name, LabeledDataset train, LabeledDataset test, ConvNetShape shape, BatchSchedule schedule)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(schedule);
        if (train.FeatureCount != shape.InputSize || train.ClassCount != shape.Classes)
            throw new ArgumentException($"The train split ({train.FeatureCount} features, {train.ClassCount} classes) does not fit the ConvNet ({shape}).", nameof(train));
        if (test.FeatureCount != train.FeatureCount || test.ClassCount != train.ClassCount)
            throw new ArgumentException($"The test split ({test.FeatureCount} features, {test.ClassCount} classes) does not match the train split ({train.FeatureCount}, {train.ClassCount}).", nameof(test));
        if (schedule.RowCount != train.Count)
            throw new ArgumentException($"The batch schedule covers {schedule.RowCount} rows, the train split has {train.Count}.", nameof(schedule));
        Name = name;
        Train = train;
        Test = test;
        Shape = shape;
        _net = new ConvNetwork(shape);
        _schedule = schedule;
        _rows = new int[schedule.BatchSize];
    }

    public string Name { get; }
    public string Family => "convnet-classification";
    public IReadOnlyList<TensorSpec> Parameters => Shape.Tensors;
    public int BatchSize => _schedule.BatchSize;
    public LabeledDataset Train { get; }
    public LabeledDataset Test { get; }
    public ConvNetShape Shape { get; }
    public BatchSchedule Schedule => _schedule;

    public double[][] SampleInitialPoint(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var theta = Parameters.Select(t => new double[t.Length]).ToArray();
        for (int i = 0; i < theta.Length; i++)
        {
            double bound = 1.0 / Math.Sqrt(Shape.FanIn(i));
            for (int j = 0; j < theta[i].Length; j++) theta[i][j] = rng.Uniform(-bound, bound);
        }
        return theta;
    }

    public double Loss(IReadOnlyList<double[]> theta, IReadOnlyList<double[]>? gradient)
    {
        Check(theta, gradient);
        return _net.Full(theta, Train, gradient).Loss;
    }

    public double TrainingLoss(IReadOnlyList<double[]> theta, IReadOnlyList<double[]> gradient, Rng rng, long step)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        Check(theta, gradient);
        lock (_rows)
        {
            _schedule.Fill(rng, step, _rows);
            return _net.Batch(theta, Train, _rows, gradient).Loss;
        }
    }

    /// <summary>The rows the training step <paramref name="step"/> uses (for inspection, tests and the batched kernels).</summary>
    public int[] BatchRows(Rng rng, long step)
    {
        var rows = new int[BatchSize];
        _schedule.Fill(rng, step, rows);
        return rows;
    }

    /// <summary>Mean loss (and its gradient, when given) over <paramref name="rows"/> of the train split.</summary>
    public double LossOnRows(IReadOnlyList<double[]> theta, ReadOnlySpan<int> rows, IReadOnlyList<double[]>? gradient)
    {
        Check(theta, gradient);
        return _net.Batch(theta, Train, rows, gradient).Loss;
    }

    public Evaluation EvaluateTrain(IReadOnlyList<double[]> theta) => Evaluate(theta, Train);

    public Evaluation EvaluateTest(IReadOnlyList<double[]> theta) => Evaluate(theta, Test);

    private Evaluation Evaluate(IReadOnlyList<double[]> theta, LabeledDataset split)
    {
        Check(theta, null);
        var (loss, correct) = _net.Full(theta, split, null);
        return new Evaluation(loss, (double)correct / split.Count);
    }

    private void Check(IReadOnlyList<double[]> theta, IReadOnlyList<double[]>? gradient)
    {
        _net.CheckShapes(theta, nameof(theta));
        if (gradient != null) _net.CheckShapes(gradient, nameof(gradient));
    }
}
