using LearnedOpt.Data;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

[Trait("tier", "cpu")]
public class NetworkFamilyTests
{
    private static ReluClassifierTask Teacher(int d, int[] hidden, int classes, bool sparse, ulong seed, int rows = 200)
        => new("ts", NetworksEnsemble.TeacherStudentFamily, TeacherStudentData.Generate(rows, d, classes, sparse, seed), hidden, 32);

    [Fact]
    public void ZeroWeightsGiveTheUniformGuessLoss()
    {
        var t = Teacher(16, [8, 4], 5, sparse: false, seed: 1);
        Assert.Equal(Math.Log(5), t.Value(new double[t.Size], Span<double>.Empty), 12);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public void FullAndMinibatchGradientsMatchFiniteDifferences(int hiddenLayers, bool sparse)
    {
        var t = Teacher(12, hiddenLayers == 1 ? [10] : [10, 6], 4, sparse, seed: 9);
        var rng = new Rng(4);
        var x = new double[t.Size];
        t.SampleInitial(rng, x);
        // Biases start at zero; move them so no ReLU sits exactly at its kink.
        for (int i = 0; i < x.Length; i++) x[i] += 0.05 * rng.NextGaussian();
        FiniteDifference.CheckGradient(t, x, rng, tolerance: 1e-5);

        var g = new double[t.Size];
        t.TrainingValue(x, g, new Rng(8).Stream(3), 3);
        double h = 1e-6;
        foreach (var u in FiniteDifference.Directions(t.Size, rng, 4, 6))
        {
            var gp = new double[t.Size];
            double fp = t.TrainingValue(FiniteDifference.Step(x, u, h), gp, new Rng(8).Stream(3), 3);
            double fm = t.TrainingValue(FiniteDifference.Step(x, u, -h), gp, new Rng(8).Stream(3), 3);
            double fd = (fp - fm) / (2 * h), an = FiniteDifference.Dot(g, u);
            Assert.True(Math.Abs(fd - an) <= 1e-5 * Math.Max(Math.Abs(fd), Math.Abs(an)) + 1e-8, $"minibatch derivative {an} vs {fd}");
        }
    }

    [Fact]
    public void InstancesAreDeterministicInTheSeed()
    {
        var entry = NetworksEnsemble.TeacherStudent(16, [32], 4, sparse: true);
        var a = entry.Build(5);
        var b = entry.Build(5);
        var c = entry.Build(6);
        var x = new double[a.Size];
        a.SampleInitial(new Rng(1), x);
        Assert.Equal(a.Value(x, Span<double>.Empty), b.Value(x, Span<double>.Empty));
        Assert.NotEqual(a.Value(x, Span<double>.Empty), c.Value(x, Span<double>.Empty));
        Assert.Equal(entry.Tensors.Sum(t => t.Length), a.Size);
        var ga = new double[a.Size];
        var gb = new double[a.Size];
        a.TrainingValue(x, ga, new Rng(2).Stream(7), 7);
        b.TrainingValue(x, gb, new Rng(2).Stream(7), 7);
        Assert.Equal(ga, gb);
    }

    [Fact]
    public void TeacherDataHasAlwaysZeroAndRareInputsAndLabelsOfSeveralClasses()
    {
        const int rows = 4000, d = 40;
        var data = TeacherStudentData.Generate(rows, d, 5, sparse: true, seed: 3);
        var (zero, rare) = TeacherStudentData.SparsePattern(d, 3);
        Assert.Equal(6, zero.Count(z => z));
        Assert.Equal(6, rare.Count(r => r));
        for (int i = 0; i < d; i++)
        {
            int nonZero = Enumerable.Range(0, rows).Count(r => data.Row(r)[i] != 0);
            if (zero[i]) Assert.Equal(0, nonZero);
            else if (rare[i]) Assert.InRange(nonZero / (double)rows, 0.035, 0.065);
            else Assert.Equal(rows, nonZero);
        }
        var counts = Enumerable.Range(0, rows).GroupBy(data.Label).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(counts.Count >= 3, $"labels use {counts.Count} classes");
        Assert.All(counts.Values, n => Assert.True(n < rows * 0.9));
        var dense = TeacherStudentData.Generate(50, d, 5, sparse: false, seed: 3);
        Assert.All(Enumerable.Range(0, 50), r => Assert.DoesNotContain(0f, dense.Row(r).ToArray()));
    }

    [Fact]
    public void AreaDownsamplingAveragesFractionalBoxes()
    {
        // 4 → 2: plain 2×2 means.
        var target = new float[4];
        FashionMnist8Subsets.AreaDownsample([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 4, target, 2);
        Assert.Equal([3.5f, 5.5f, 11.5f, 13.5f], target);
        // 28 → 8 (boxes of 3.5 pixels): one bright pixel at (3, 3) is split over four output pixels by
        // its overlaps 0.5 × 0.5 with each, over a box area of 3.5².
        var source = new float[28 * 28];
        source[3 * 28 + 3] = 1;
        var out8 = new float[64];
        FashionMnist8Subsets.AreaDownsample(source, 28, out8, 8);
        float quarter = (float)(0.25 / 12.25);
        Assert.Equal(quarter, out8[0], 6);
        Assert.Equal(quarter, out8[1], 6);
        Assert.Equal(quarter, out8[8], 6);
        Assert.Equal(quarter, out8[9], 6);
        Assert.Equal(4 * quarter, out8.Sum(), 6);
        // A constant image stays constant.
        Array.Fill(source, 0.7f);
        FashionMnist8Subsets.AreaDownsample(source, 28, out8, 8);
        Assert.All(out8, v => Assert.Equal(0.7f, v, 6));
    }

    [Fact]
    public void FashionMnist8UsesOnlyTheFirstEightyPercentOfTheTrainingSplit()
    {
        // 100 images of 28×28 whose pixels all equal their row index: the pool keeps rows 0–79.
        const int images = 100;
        var features = new float[images * 784];
        var labels = new byte[images];
        for (int r = 0; r < images; r++)
        {
            features.AsSpan(r * 784, 784).Fill(r);
            labels[r] = (byte)(r % 10);
        }
        var pool = FashionMnist8Subsets.TrainingPool(new LabeledDataset(features, labels, 784, 10));
        Assert.Equal(80, pool.Count);
        Assert.Equal(64, pool.FeatureCount);
        for (int r = 0; r < 80; r++) Assert.All(pool.Row(r).ToArray(), v => Assert.Equal(r, v, 4));

        var entry = NetworksEnsemble.FashionMnist8([6], () => pool);
        var a = (ReluClassifierTask)entry.Build(3);
        var b = (ReluClassifierTask)entry.Build(3);
        var c = (ReluClassifierTask)entry.Build(4);
        Assert.Equal(80, a.Data.Count);
        float[] Firsts(ReluClassifierTask t) => Enumerable.Range(0, 80).Select(r => t.Data.Row(r)[0]).ToArray();
        Assert.Equal(Firsts(a), Firsts(b));
        Assert.NotEqual(Firsts(a), Firsts(c));
        Assert.All(Firsts(a), v => Assert.InRange(v, 0, 79)); // never a row of the last 20 %
        Assert.Equal([64, 6, 10], a.LayerSizes);
    }

    [Fact]
    public void ReluNetworksRefuseHessianProducts()
    {
        var t = Teacher(4, [3], 2, sparse: false, seed: 1, rows: 40);
        var e = Assert.Throws<NotSupportedException>(() => t.Hvp(new double[t.Size], new double[t.Size], new double[t.Size]));
        Assert.Contains("tbptt", e.Message);
    }
}
