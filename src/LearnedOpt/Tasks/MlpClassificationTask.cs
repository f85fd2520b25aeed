using LearnedOpt.Data;
using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks;

/// <summary>
/// Image classification with an MLP (<see cref="MlpNetwork"/>), mean softmax cross-entropy. The
/// gradient of a training step comes from the batch its <see cref="BatchSchedule"/> picks from the
/// train split; <see cref="Loss"/> is the mean over the whole train split; the test split is only evaluated.
/// Computes in float64 (the reference path); the optimizer's float32 parameters are widened exactly.
/// </summary>
public sealed class MlpClassificationTask : ITask, IHasTestSplit
{
    private readonly MlpNetwork _net;
    private readonly MlpInitialization _init;
    private readonly BatchSchedule _schedule;
    private readonly int[] _rows;

    public MlpClassificationTask(string name, LabeledDataset train, LabeledDataset test, IReadOnlyList<int> hiddenSizes,
        MlpActivation activation, MlpInitialization initialization, BatchSchedule schedule)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(hiddenSizes);
        ArgumentNullException.ThrowIfNull(initialization);
        ArgumentNullException.ThrowIfNull(schedule);
        if (test.FeatureCount != train.FeatureCount || test.ClassCount != train.ClassCount)
            throw new ArgumentException($"The test split ({test.FeatureCount} features, {test.ClassCount} classes) does not match the train split ({train.FeatureCount}, {train.ClassCount}).", nameof(test));
        if (schedule.RowCount != train.Count)
            throw new ArgumentException($"The batch schedule covers {schedule.RowCount} rows, the train split has {train.Count}.", nameof(schedule));
        Name = name;
        Train = train;
        Test = test;
        _net = new MlpNetwork([train.FeatureCount, .. hiddenSizes, train.ClassCount], activation);
        _init = initialization;
        _schedule = schedule;
        _rows = new int[schedule.BatchSize];
    }

    public string Name { get; }
    public string Family => "mlp-classification";
    public IReadOnlyList<TensorSpec> Parameters => _net.Tensors;
    public int BatchSize => _schedule.BatchSize;
    public LabeledDataset Train { get; }
    public LabeledDataset Test { get; }
    public BatchSchedule Schedule => _schedule;

    /// <summary>Layer widths from input to output, e.g. [784, 32, 10].</summary>
    public IReadOnlyList<int> LayerSizes => _net.Sizes;

    public double[][] SampleInitialPoint(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var theta = Parameters.Select(t => new double[t.Length]).ToArray();
        for (int l = 0; l < _net.LayerCount; l++)
        {
            _init.Fill(rng, theta[2 * l], _net.Sizes[l], isBias: false);
            _init.Fill(rng, theta[2 * l + 1], _net.Sizes[l], isBias: true);
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

    /// <summary>The rows the training step <paramref name="step"/> uses (for inspection and tests).</summary>
    public int[] BatchRows(Rng rng, long step)
    {
        var rows = new int[BatchSize];
        _schedule.Fill(rng, step, rows);
        return rows;
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
