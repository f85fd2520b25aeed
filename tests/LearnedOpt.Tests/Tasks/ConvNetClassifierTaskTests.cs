using LearnedOpt.Data;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks;
using LearnedOpt.Tasks.Synthetic;
using LearnedOpt.Tests.Data;

namespace LearnedOpt.Tests.Tasks;

[Trait("tier", "cpu")]
public class ConvNetClassifierTaskTests
{
    private const int Rows = 40, Batch = 8;

    private static LabeledDataset Images(ulong seed) => SyntheticData.Random(Rows, 64, 10, seed);

    private static ConvNetShape Shape(int[] channels) => new(1, 8, 8, channels, 10);

    private static ConvNetClassifierTask Flat(LabeledDataset data, int[] channels)
        => new("conv", NetworksEnsemble.FashionMnist8ConvNetFamily, data, Shape(channels), Batch);

    [Fact]
    public void ZeroWeightsGiveTheUniformGuessLoss()
    {
        var t = Flat(Images(1), [3, 4]);
        var g = new double[t.Size];
        Assert.Equal(Math.Log(10), t.Value(new double[t.Size], g), 12);
        // Only the head bias moves at θ = 0: its gradient is the mean of softmax − one-hot = 1/10 − class frequency.
        var bias = g.AsSpan(t.Size - 10);
        for (int c = 0; c < 10; c++)
        {
            double frequency = Enumerable.Range(0, Rows).Count(r => t.Data.Label(r) == c) / (double)Rows;
            Assert.Equal(0.1 - frequency, bias[c], 12);
        }
        Assert.All(g.Take(t.Size - 10), v => Assert.Equal(0, v));
    }

    [Theory]
    [InlineData(new[] { 3, 4 }, 2UL)]
    [InlineData(new[] { 4, 8 }, 3UL)]
    public void MatchesTheConvNetTaskOnTheSameRows(int[] channels, ulong seed)
    {
        var data = Images(seed);
        var flat = Flat(data, channels);
        var reference = new ConvNetClassificationTask("ref", data, Images(seed + 100), Shape(channels), new EpochBatchSchedule(Rows, Batch, "batches"));
        Assert.Equal(reference.Parameters.Select(p => (p.Name, p.Length)), flat.Parameters.Select(p => (p.Name, p.Length)));

        // The same initial point from the same generator, laid out flat in tensor order.
        var theta = reference.SampleInitialPoint(new Rng(seed));
        var x = new double[flat.Size];
        flat.SampleInitial(new Rng(seed), x);
        Assert.Equal(theta.SelectMany(t => t), x);

        var refGrad = theta.Select(t => new double[t.Length]).ToArray();
        var grad = new double[flat.Size];
        Assert.Equal(reference.Loss(theta, refGrad), flat.Value(x, grad));
        Assert.Equal(refGrad.SelectMany(t => t), grad);

        for (long step = 0; step < 7; step++) // crosses an epoch (5 batches of 8 in 40 rows)
        {
            var batches = new Rng(seed + 7).Stream(step);
            Assert.Equal(reference.BatchRows(batches, step), flat.BatchRows(batches, step));
            double expected = reference.TrainingLoss(theta, refGrad, batches, step);
            Assert.Equal(expected, flat.TrainingValue(x, grad, batches, step));
            Assert.Equal(refGrad.SelectMany(t => t), grad);
        }
    }

    [Fact]
    public void FullAndMinibatchGradientsMatchFiniteDifferences()
    {
        var t = Flat(Images(5), [3, 5]);
        var rng = new Rng(6);
        var x = new double[t.Size];
        t.SampleInitial(rng, x);
        FiniteDifference.CheckGradient(t, x, rng, tolerance: 1e-5);

        var g = new double[t.Size];
        t.TrainingValue(x, g, new Rng(8).Stream(3), 3);
        double h = 1e-6;
        foreach (var u in FiniteDifference.Directions(t.Size, rng, 4, 6))
        {
            var scratch = new double[t.Size];
            double fp = t.TrainingValue(FiniteDifference.Step(x, u, h), scratch, new Rng(8).Stream(3), 3);
            double fm = t.TrainingValue(FiniteDifference.Step(x, u, -h), scratch, new Rng(8).Stream(3), 3);
            double fd = (fp - fm) / (2 * h), an = FiniteDifference.Dot(g, u);
            Assert.True(Math.Abs(fd - an) <= 1e-5 * Math.Max(Math.Abs(fd), Math.Abs(an)) + 1e-8, $"minibatch derivative {an} vs {fd}");
        }
    }

    [Fact]
    public void EntryInstancesAreDeterministicInTheSeedAndOwnTheirSubset()
    {
        // A pool of 1500 rows: each instance draws its own 1024.
        var pool = SyntheticData.Random(1500, 64, 10, 11);
        var entry = NetworksEnsemble.FashionMnist8ConvNet([4, 8], () => pool);
        Assert.Equal("fashion-mnist8-convnet-4x8", entry.Name);
        Assert.Equal(NetworksEnsemble.FashionMnist8ConvNetFamily, NetworksEnsemble.GroupOf(entry));
        Assert.True(entry.IsNetwork);
        var a = (ConvNetClassifierTask)entry.Build(5);
        var b = (ConvNetClassifierTask)entry.Build(5);
        var c = (ConvNetClassifierTask)entry.Build(6);
        Assert.Equal(FashionMnist8Subsets.SubsetRows, a.Data.Count);
        Assert.Equal(FashionMnist8Subsets.BatchSize, a.BatchSize);
        Assert.Equal(entry.Tensors.Sum(t => t.Length), a.Size);
        Assert.Equal(40 + 296 + 330, a.Size); // conv 1→4 and 4→8 (3×3 + bias), head 8·2·2 → 10

        var x = new double[a.Size];
        a.SampleInitial(new Rng(1), x);
        Assert.Equal(a.Value(x, Span<double>.Empty), b.Value(x, Span<double>.Empty));
        Assert.NotEqual(a.Value(x, Span<double>.Empty), c.Value(x, Span<double>.Empty));
        var ga = new double[a.Size];
        var gb = new double[a.Size];
        Assert.Equal(a.TrainingValue(x, ga, new Rng(2).Stream(7), 7), b.TrainingValue(x, gb, new Rng(2).Stream(7), 7));
        Assert.Equal(ga, gb);
    }

    [Fact]
    public void RefusesHessianProductsAndDataThatDoesNotFit()
    {
        var t = Flat(Images(1), [2, 2]);
        var e = Assert.Throws<NotSupportedException>(() => t.Hvp(new double[t.Size], new double[t.Size], new double[t.Size]));
        Assert.Contains("tbptt", e.Message);
        var wide = SyntheticData.Random(Rows, 49, 10, 1);
        var bad = Assert.Throws<ArgumentException>(() => Flat(wide, [2, 2]));
        Assert.Equal("data", bad.ParamName);
        Assert.Contains("49 features", bad.Message);
        var big = Assert.Throws<ArgumentOutOfRangeException>(() => new ConvNetClassifierTask("conv", "f", Images(1), Shape([2, 2]), Rows + 1));
        Assert.Equal("batchSize", big.ParamName);
    }
}
