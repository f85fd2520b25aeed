using LearnedOpt.Data;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks;

namespace LearnedOpt.Tests.Data;

[Trait("tier", "cpu")]
public class ConvNetGradientTests
{
    private static ConvNetClassificationTask Task(int inputChannels, int side, int[] channels, int rows = 24, int batch = 8, ulong seed = 7)
    {
        var train = SyntheticData.Random(rows, inputChannels * side * side, 10, seed);
        var test = SyntheticData.Random(10, inputChannels * side * side, 10, seed + 1);
        return new ConvNetClassificationTask("t", train, test, new ConvNetShape(inputChannels, side, side, channels, 10), new EpochBatchSchedule(rows, batch));
    }

    [Theory]
    [InlineData(1, 8, new[] { 3 }, 1UL)]
    [InlineData(1, 8, new[] { 3, 4 }, 2UL)]
    [InlineData(1, 8, new[] { 3, 4 }, 3UL)]
    [InlineData(2, 7, new[] { 2, 3 }, 4UL)] // odd sides: the last row and column of each map fall outside every pool window
    [InlineData(1, 6, new[] { 4, 2 }, 5UL)]
    public void FullLossGradientMatchesCentralDifferences(int inputChannels, int side, int[] channels, ulong seed)
    {
        // Gaussian pixels (and uniform parameters) make positive max-pool ties a null event.
        var task = Task(inputChannels, side, channels, seed: seed + 10);
        var theta = task.SampleInitialPoint(new Rng(seed));
        double err = GradientCheck.MaxRelativeError((t, g) => task.Loss(t, g), theta, seed: seed);
        Assert.True(err < 1e-6, $"max relative error {err:E2}");
    }

    [Fact]
    public void MinibatchGradientMatchesCentralDifferencesOfTheSameBatch()
    {
        var task = Task(1, 8, [3, 5]);
        var theta = task.SampleInitialPoint(new Rng(21));
        var batches = new Rng(99);
        double err = GradientCheck.MaxRelativeError(
            (t, g) => task.TrainingLoss(t, g ?? t.Select(x => new double[x.Length]).ToArray(), batches, step: 2), theta, seed: 6);
        Assert.True(err < 1e-6, $"max relative error {err:E2}");
    }

    [Theory]
    [InlineData(1, 8, new[] { 3, 4 })]
    [InlineData(2, 7, new[] { 2, 3 })]
    public void LossMatchesADirectConvolutionReference(int inputChannels, int side, int[] channels)
    {
        var task = Task(inputChannels, side, channels);
        var theta = task.SampleInitialPoint(new Rng(31));
        double expected = 0;
        int right = 0;
        for (int r = 0; r < task.Train.Count; r++)
        {
            var logits = DirectForward(task.Shape, theta, task.Train.Row(r));
            double max = logits.Max();
            double lse = max + Math.Log(logits.Sum(z => Math.Exp(z - max)));
            expected += lse - logits[task.Train.Label(r)];
            if (Array.IndexOf(logits, max) == task.Train.Label(r)) right++;
        }
        expected /= task.Train.Count;
        Assert.Equal(expected, task.Loss(theta, null), 1e-12);
        Assert.Equal((double)right / task.Train.Count, task.EvaluateTrain(theta).Accuracy);
    }

    [Fact]
    public void MaxPoolTiesSendTheGradientToTheFirstPositionOfTheWindow()
    {
        // One 2×2 image, one block of one channel with zero weights and bias 0.5: all four conv outputs
        // tie at 0.5 (ReLU passes them), the pool picks the top-left one, whose 3×3 receptive field sees
        // the pixels x00, x01, x10, x11 at taps (1,1), (1,2), (2,1), (2,2) (the rest is padding).
        float[] pixels = [0.3f, -0.7f, 1.1f, 0.4f];
        var data = new LabeledDataset(pixels, [1], 4, 2);
        var task = new ConvNetClassificationTask("tie", data, data, new ConvNetShape(1, 2, 2, [1], 2), new EpochBatchSchedule(1, 1));
        double[] head = [0.8, -0.6];
        double[][] theta = [new double[9], [0.5], head, [0.1, -0.2]];
        var grad = theta.Select(t => new double[t.Length]).ToArray();
        task.Loss(theta, grad);

        // Logits z_k = head_k·0.5 + b_k; δ = softmax − onehot(1) = (p0, −p0); dL/d(pooled) = Σ_k δ_k·head_k.
        double z0 = 0.8 * 0.5 + 0.1, z1 = -0.6 * 0.5 - 0.2;
        double p0 = Math.Exp(z0) / (Math.Exp(z0) + Math.Exp(z1));
        double dPooled = p0 * 0.8 - p0 * -0.6;
        double[] expectedW = [0, 0, 0, 0, dPooled * 0.3f, dPooled * -0.7f, 0, dPooled * 1.1f, dPooled * 0.4f];
        for (int i = 0; i < 9; i++) Assert.Equal(expectedW[i], grad[0][i], 1e-12);
        Assert.Equal(dPooled, grad[1][0], 1e-12);
        Assert.Equal(p0 * 0.5, grad[2][0], 1e-12);
        Assert.Equal(-p0 * 0.5, grad[2][1], 1e-12);
    }

    [Fact]
    public void ReluAtZeroPassesNoGradient()
    {
        // Bias −0.5 with zero weights: every conv output is clipped to 0, so no gradient reaches the convolution.
        float[] pixels = [0.3f, -0.7f, 1.1f, 0.4f];
        var data = new LabeledDataset(pixels, [0], 4, 2);
        var task = new ConvNetClassificationTask("dead", data, data, new ConvNetShape(1, 2, 2, [1], 2), new EpochBatchSchedule(1, 1));
        double[][] theta = [new double[9], [-0.5], [0.8, -0.6], [0.1, -0.2]];
        var grad = theta.Select(t => new double[t.Length]).ToArray();
        task.Loss(theta, grad);
        Assert.All(grad[0], g => Assert.Equal(0.0, g));
        Assert.Equal(0.0, grad[1][0]);
        Assert.NotEqual(0.0, grad[3][0]);
    }

    [Fact]
    public void FullLossIsTheMeanOfPerRowLosses()
    {
        var task = Task(1, 8, [3, 4], rows: 21);
        var theta = task.SampleInitialPoint(new Rng(41));
        var grad = theta.Select(t => new double[t.Length]).ToArray();
        double full = task.Loss(theta, grad);
        double sum = 0;
        var sumGrad = theta.Select(t => new double[t.Length]).ToArray();
        var g1 = theta.Select(t => new double[t.Length]).ToArray();
        for (int r = 0; r < task.Train.Count; r++)
        {
            sum += task.LossOnRows(theta, [r], g1);
            for (int t = 0; t < g1.Length; t++)
                for (int i = 0; i < g1[t].Length; i++) sumGrad[t][i] += g1[t][i];
        }
        Assert.Equal(sum / task.Train.Count, full, 1e-12);
        for (int t = 0; t < grad.Length; t++)
            for (int i = 0; i < grad[t].Length; i++) Assert.Equal(sumGrad[t][i] / task.Train.Count, grad[t][i], 1e-12);
    }

    [Fact]
    public void RepeatedTrainingStepsGiveTheSameBits()
    {
        var task = Task(1, 8, [3, 4]);
        var theta = task.SampleInitialPoint(new Rng(51));
        var g1 = theta.Select(t => new double[t.Length]).ToArray();
        var g2 = theta.Select(t => new double[t.Length]).ToArray();
        double l1 = task.TrainingLoss(theta, g1, new Rng(5), 3);
        double l2 = task.TrainingLoss(theta, g2, new Rng(5), 3);
        Assert.Equal(BitConverter.DoubleToInt64Bits(l1), BitConverter.DoubleToInt64Bits(l2));
        Assert.Equal(g1.SelectMany(g => g), g2.SelectMany(g => g));
    }

    [Fact]
    public void ShapesFollowTheFashionMnistArchitecture()
    {
        var shape = new ConvNetShape(1, 28, 28, [8, 16], 10);
        Assert.Equal(["conv1/w", "conv1/b", "conv2/w", "conv2/b", "head/w", "head/b"], shape.Tensors.Select(t => t.Name));
        Assert.Equal([8L, 1, 3, 3], shape.Tensors[0].Shape);
        Assert.Equal([16L, 8, 3, 3], shape.Tensors[2].Shape);
        Assert.Equal([10L, 784], shape.Tensors[4].Shape);
        Assert.Equal(8 * 9 + 8 + 16 * 72 + 16 + 7840 + 10, shape.ParameterCount);
        var odd = new ConvNetShape(2, 7, 9, [2, 3], 10);
        Assert.Equal([7, 3, 1], odd.Heights);
        Assert.Equal([9, 4, 2], odd.Widths);
        Assert.Equal(3 * 1 * 2, odd.Features);
    }

    [Fact]
    public void InitialisationIsUniformWithinOneOverRootFanIn()
    {
        var task = Task(1, 8, [16, 32], rows: 4, batch: 4);
        var theta = task.SampleInitialPoint(new Rng(61));
        int[] fanIns = [9, 9, 16 * 9, 16 * 9, 32 * 2 * 2, 32 * 2 * 2];
        for (int i = 0; i < theta.Length; i++)
        {
            double bound = 1 / Math.Sqrt(fanIns[i]);
            Assert.All(theta[i], v => Assert.InRange(Math.Abs(v), 0, bound));
        }
        // conv2/w has 4608 draws: mean 0 and variance bound²/3 within a few standard errors.
        var w = theta[2];
        double b2 = 1.0 / (16 * 9);
        Assert.Equal(0, w.Average(), 4 * Math.Sqrt(b2 / 3 / w.Length));
        Assert.Equal(b2 / 3, w.Select(v => v * v).Average(), 0.05 * b2 / 3);
    }

    [Fact]
    public void BadInputsAreRejectedByName()
    {
        var task = Task(1, 8, [3, 4]);
        var theta = task.Parameters.Select(p => new double[p.Length]).ToArray();
        theta[2] = new double[5];
        var e = Assert.Throws<ArgumentException>(() => task.Loss(theta, null));
        Assert.Contains("conv2/w", e.Message);
        Assert.Equal("theta", e.ParamName);
        Assert.Equal("height", Assert.Throws<ArgumentOutOfRangeException>(() => new ConvNetShape(1, 3, 8, [2, 2], 10)).ParamName);
        Assert.Equal("convChannels", Assert.Throws<ArgumentException>(() => new ConvNetShape(1, 8, 8, [2, 0], 10)).ParamName);
        var wrongData = SyntheticData.Random(8, 50, 10, 1);
        Assert.Equal("train", Assert.Throws<ArgumentException>(() => new ConvNetClassificationTask("x", wrongData, wrongData,
            new ConvNetShape(1, 8, 8, [2], 10), new EpochBatchSchedule(8, 4))).ParamName);
    }

    // Direct 3×3 convolution, ReLU and max-pool loops (no im2col): an independent forward pass.
    private static double[] DirectForward(ConvNetShape s, double[][] theta, ReadOnlySpan<float> pixels)
    {
        int c = s.InputChannels, h = s.Height, w = s.Width;
        var x = new double[c, h, w];
        for (int i = 0; i < c; i++)
            for (int y = 0; y < h; y++)
                for (int z = 0; z < w; z++) x[i, y, z] = pixels[(i * h + y) * w + z];
        for (int l = 0; l < s.Blocks; l++)
        {
            int co = s.Channels[l + 1];
            var conv = new double[co, h, w];
            for (int o = 0; o < co; o++)
                for (int y = 0; y < h; y++)
                    for (int z = 0; z < w; z++)
                    {
                        double acc = theta[2 * l + 1][o];
                        for (int i = 0; i < c; i++)
                            for (int dy = -1; dy <= 1; dy++)
                                for (int dz = -1; dz <= 1; dz++)
                                {
                                    int yy = y + dy, zz = z + dz;
                                    if (yy >= 0 && yy < h && zz >= 0 && zz < w)
                                        acc += theta[2 * l][((o * c + i) * 3 + dy + 1) * 3 + dz + 1] * x[i, yy, zz];
                                }
                        conv[o, y, z] = Math.Max(acc, 0);
                    }
            int ph = h / 2, pw = w / 2;
            var pooled = new double[co, ph, pw];
            for (int o = 0; o < co; o++)
                for (int y = 0; y < ph; y++)
                    for (int z = 0; z < pw; z++)
                        pooled[o, y, z] = Math.Max(Math.Max(conv[o, 2 * y, 2 * z], conv[o, 2 * y, 2 * z + 1]), Math.Max(conv[o, 2 * y + 1, 2 * z], conv[o, 2 * y + 1, 2 * z + 1]));
            (x, c, h, w) = (pooled, co, ph, pw);
        }
        var head = theta[2 * s.Blocks];
        var logits = new double[s.Classes];
        for (int k = 0; k < s.Classes; k++)
        {
            double acc = theta[2 * s.Blocks + 1][k];
            int f = 0;
            for (int i = 0; i < c; i++)
                for (int y = 0; y < h; y++)
                    for (int z = 0; z < w; z++) acc += head[k * s.Features + f++] * x[i, y, z];
            logits[k] = acc;
        }
        return logits;
    }
}
