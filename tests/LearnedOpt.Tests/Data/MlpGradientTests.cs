using LearnedOpt.Data;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks;

namespace LearnedOpt.Tests.Data;

[Trait("tier", "cpu")]
public class MlpGradientTests
{
    private static MlpClassificationTask Task(MlpActivation act, int[] hidden, BatchSchedule? schedule = null)
    {
        var train = SyntheticData.Random(60, 12, 4, seed: 7);
        var test = SyntheticData.Random(20, 12, 4, seed: 8);
        return new MlpClassificationTask("t", train, test, hidden, act, MlpInitialization.TruncatedNormalFanIn, schedule ?? new EpochBatchSchedule(60, 16));
    }

    // A generic point: the init's zero biases are replaced so no unit sits exactly at its kink.
    private static double[][] Point(MlpClassificationTask task, ulong seed)
    {
        var rng = new Rng(seed);
        var theta = task.SampleInitialPoint(rng);
        foreach (var (spec, values) in task.Parameters.Zip(theta))
            if (spec.Name.EndsWith("/b", StringComparison.Ordinal))
                for (int i = 0; i < values.Length; i++) values[i] = 0.3 * rng.NextGaussian();
        return theta;
    }

    [Theory]
    [InlineData(MlpActivation.Relu, new[] { 9, 6 })]
    [InlineData(MlpActivation.Sigmoid, new[] { 7 })]
    [InlineData(MlpActivation.Relu, new int[0])]
    public void FullLossGradientMatchesCentralDifferences(MlpActivation act, int[] hidden)
    {
        var task = Task(act, hidden);
        var theta = Point(task, 11);
        double err = GradientCheck.MaxRelativeError((t, g) => task.Loss(t, g), theta, seed: 5);
        Assert.True(err < 1e-6, $"max relative error {err:E2}");
    }

    [Fact]
    public void MinibatchGradientMatchesCentralDifferencesOfTheSameBatch()
    {
        var task = Task(MlpActivation.Relu, [8]);
        var theta = Point(task, 12);
        var batches = new Rng(99);
        double err = GradientCheck.MaxRelativeError(
            (t, g) => task.TrainingLoss(t, g ?? t.Select(x => new double[x.Length]).ToArray(), batches, step: 5), theta, seed: 6);
        Assert.True(err < 1e-6, $"max relative error {err:E2}");
    }

    [Fact]
    public void FullLossIsTheMeanOfPerRowLosses()
    {
        // The parallel full-split pass must equal a plain mean over single-row batches.
        var task = Task(MlpActivation.Sigmoid, [5]);
        var theta = Point(task, 13);
        var grad = theta.Select(t => new double[t.Length]).ToArray();
        double full = task.Loss(theta, grad);
        var net = new MlpNetwork([12, 5, 4], MlpActivation.Sigmoid);
        double sum = 0;
        var sumGrad = theta.Select(t => new double[t.Length]).ToArray();
        var g1 = theta.Select(t => new double[t.Length]).ToArray();
        for (int r = 0; r < task.Train.Count; r++)
        {
            sum += net.Batch(theta, task.Train, [r], g1).Loss;
            for (int t = 0; t < g1.Length; t++)
                for (int i = 0; i < g1[t].Length; i++) sumGrad[t][i] += g1[t][i];
        }
        Assert.Equal(sum / task.Train.Count, full, 1e-12);
        for (int t = 0; t < grad.Length; t++)
            for (int i = 0; i < grad[t].Length; i++) Assert.Equal(sumGrad[t][i] / task.Train.Count, grad[t][i], 1e-12);
    }

    [Fact]
    public void UniformLogitsGiveLogOfClassCount()
    {
        var task = Task(MlpActivation.Relu, [6]);
        var zero = task.Parameters.Select(p => new double[p.Length]).ToArray();
        Assert.Equal(Math.Log(4), task.Loss(zero, null), 1e-12);
        var eval = task.EvaluateTest(zero);
        Assert.Equal(Math.Log(4), eval.Loss, 1e-12);
        // All logits tie, so the first class is predicted: accuracy is the share of label 0.
        Assert.Equal(Enumerable.Range(0, task.Test.Count).Count(i => task.Test.Label(i) == 0) / (double)task.Test.Count, eval.Accuracy);
    }

    [Fact]
    public void TensorNamesAndShapesFollowTheConvention()
    {
        var task = Task(MlpActivation.Relu, [9, 6]);
        Assert.Equal(["layer0/w", "layer0/b", "layer1/w", "layer1/b", "layer2/w", "layer2/b"], task.Parameters.Select(p => p.Name));
        Assert.Equal([12L, 9], task.Parameters[0].Shape);
        Assert.Equal([9L], task.Parameters[1].Shape);
        Assert.Equal([6L, 4], task.Parameters[4].Shape);
    }

    [Fact]
    public void WrongTensorShapesAreRejectedByName()
    {
        var task = Task(MlpActivation.Relu, [6]);
        var theta = task.Parameters.Select(p => new double[p.Length]).ToArray();
        theta[2] = new double[5];
        var e = Assert.Throws<ArgumentException>(() => task.Loss(theta, null));
        Assert.Contains("layer1/w", e.Message);
        Assert.Equal("theta", e.ParamName);
    }

    [Fact]
    public void InitializationsHaveTheirDocumentedMoments()
    {
        var rng = new Rng(3);
        var w = new double[200_000];
        MlpInitialization.TruncatedNormalFanIn.Fill(rng, w, fanIn: 784, isBias: false);
        double sigma = 1 / Math.Sqrt(784);
        Assert.All(w, v => Assert.InRange(Math.Abs(v), 0, 2 * sigma));
        // A unit normal truncated at ±2 has standard deviation 0.879626.
        double std = Math.Sqrt(w.Select(v => v * v).Average());
        Assert.Equal(0.879626 * sigma, std, 0.01 * sigma);
        var b = new double[10];
        b[3] = 1;
        MlpInitialization.TruncatedNormalFanIn.Fill(rng, b, 784, isBias: true);
        Assert.All(b, v => Assert.Equal(0.0, v));

        var g = new double[200_000];
        MlpInitialization.Gaussian(0.01).Fill(rng, g, 784, isBias: true);
        Assert.Equal(0.01, Math.Sqrt(g.Select(v => v * v).Average()), 2e-4);
        Assert.Equal(0.0, g.Average(), 1e-4);
    }
}
