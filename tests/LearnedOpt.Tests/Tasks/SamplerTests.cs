using LearnedOpt.Data;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

[Trait("tier", "cpu")]
public class SamplerTests
{
    [Fact]
    public void EnsembleVariantsHaveTheReferenceEntryCounts()
    {
        var def = SyntheticCatalog.Variant(SyntheticCatalog.DefaultVariant);
        var full = SyntheticCatalog.Variant(SyntheticCatalog.Reference101);
        Assert.Equal(86, def.Count);
        Assert.Equal(101, full.Count);
        Assert.DoesNotContain(def, e => e.Family == "mlp" || e.IsNetwork);
        Assert.Equal(15, full.Count(e => e.IsNetwork));
        // Group sizes of docs/tasks.md, entry list.
        Assert.Equal(7, def.Count(e => e.Family == "quadratic"));
        Assert.Equal(8, def.Count(e => e.Family == "bowl"));
        Assert.Equal(8, def.Count(e => e.Family == "logistic"));
        Assert.Equal(18, def.Count(e => e.Family == "test-function"));
        Assert.Equal(10, def.Count(e => e.Family == "matmul"));
        Assert.Equal(6, def.Count(e => e.Family == "log"));
        Assert.Equal(9, def.Count(e => e.Family == "rescale"));
        Assert.Equal(6, def.Count(e => e.Family == "norm"));
        Assert.Equal(8, def.Count(e => e.Family == "sum"));
        Assert.Equal(6, def.Count(e => e.Family == "sparse"));
        Assert.Throws<ArgumentException>(() => SyntheticCatalog.Variant("nope"));
    }

    [Fact]
    public void EntryTensorsMatchTheBuiltTasks()
    {
        foreach (var e in SyntheticCatalog.All.Where(e => e.Name is not ("quadratic-1024" or "quadratic-2048")))
        {
            var t = e.Build(0);
            Assert.Equal(e.Name, t.Name);
            Assert.Equal(e.Tensors.Select(s => (s.Name, string.Join(",", s.Shape))), t.Parameters.Select(s => (s.Name, string.Join(",", s.Shape))));
        }
    }

    [Fact]
    public void SameSeedSameCoefficientsDataAndInitialPoints()
    {
        foreach (var name in new[] { "quadratic-20-noisy", "norm-27-1", "logistic-10", "mlp-9-8", "sum-quadratics" })
        {
            var e = SyntheticCatalog.All.Single(x => x.Name == name);
            var a = e.Build(42);
            var b = e.Build(42);
            var c = e.Build(43);
            var xa = a.SampleInitialPoint(new Rng(1));
            var xb = b.SampleInitialPoint(new Rng(1));
            Assert.Equal(xa.SelectMany(t => t), xb.SelectMany(t => t));
            var flat = xa.SelectMany(t => t).ToArray();
            var ga = new double[a.Size];
            var gb = new double[b.Size];
            Assert.Equal(a.Value(flat, ga), b.Value(flat, gb));
            Assert.Equal(ga, gb);
            Assert.NotEqual(a.Value(flat, Span<double>.Empty), c.Value(flat, Span<double>.Empty));
        }
    }

    [Fact]
    public void EnsembleDrawsAreDeterministicAndRoughlyUniform()
    {
        var ens = new TaskEnsemble();
        var r1 = new Rng(7);
        var r2 = new Rng(7);
        var counts = new Dictionary<string, int>();
        const int draws = 8600;
        for (int i = 0; i < draws; i++)
        {
            var (e1, s1) = ens.Draw(r1);
            var (e2, s2) = ens.Draw(r2);
            Assert.Equal(e1.Name, e2.Name);
            Assert.Equal(s1, s2);
            counts[e1.Name] = counts.GetValueOrDefault(e1.Name) + 1;
        }
        Assert.Equal(86, counts.Count);
        // Each entry: binomial(8600, 1/86), mean 100, sd ≈ 9.9.
        Assert.All(counts.Values, c => Assert.InRange(c, 100 - 45, 100 + 45));
        Assert.Equal(101, new TaskEnsemble(SyntheticCatalog.Reference101).Entries.Count);
    }

    [Fact]
    public void QuadraticCoefficientsAreStandardNormal()
    {
        var q = new QuadraticTask(200, 5);
        double mean = q.W.Average(), var = q.W.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, -4 / 200.0, 4 / 200.0);
        Assert.InRange(var, 1 - 4 * Math.Sqrt(2.0 / 40000), 1 + 4 * Math.Sqrt(2.0 / 40000));
    }

    [Fact]
    public void ClassifierInitUsesTheFanInScaling()
    {
        var t = new ClassifierTask("m", SyntheticDataset.RandomMlp(50, 64, 1), [16], 10);
        var rng = new Rng(3);
        var sums = new double[4];
        var counts = new int[4];
        for (int d = 0; d < 200; d++)
        {
            var x = t.SampleInitialPoint(rng);
            for (int k = 0; k < 4; k++)
            {
                sums[k] += x[k].Sum(v => v * v);
                counts[k] += x[k].Length;
            }
        }
        double[] expectedStd = [1.2 / 8, 1.2 / 4, 1.2 / 4, 1.2 / Math.Sqrt(2)];
        for (int k = 0; k < 4; k++)
        {
            double std = Math.Sqrt(sums[k] / counts[k]);
            double rel = 4 * Math.Sqrt(0.5 / counts[k]);
            Assert.InRange(std, expectedStd[k] * (1 - rel), expectedStd[k] * (1 + rel));
        }
    }

    [Fact]
    public void MatMulInitColumnsHaveUnitNorm()
    {
        var t = new MatMulTask(3, 21);
        var x = t.SampleInitialPoint(new Rng(2));
        foreach (var block in x)
            for (int m = 0; m < 21; m++)
            {
                double s = 0;
                for (int i = 0; i < 9; i++) s += block[i * 21 + m] * block[i * 21 + m];
                Assert.Equal(1, s, 12);
            }
    }

    [Fact]
    public void MakeClassificationIsBalancedSeparableAndSeeded()
    {
        var d = SyntheticDataset.MakeClassification(1000, 10, 2.0, 123);
        Assert.Equal(d.X, SyntheticDataset.MakeClassification(1000, 10, 2.0, 123).X);
        Assert.InRange(d.Labels.Sum(), 450, 550);
        // Well separated clusters: a fitted logistic model beats chance by far.
        var t = new ClassifierTask("l", d, [], 100);
        var x = new double[t.Size];
        var g = new double[t.Size];
        for (int it = 0; it < 300; it++)
        {
            t.Value(x, g);
            for (int i = 0; i < x.Length; i++) x[i] -= 0.5 * g[i];
        }
        Assert.True(t.Value(x, Span<double>.Empty) < 0.5 * Math.Log(2));
    }

    [Fact]
    public void BatchScheduleIsDisjointWithinAnEpochAndReproducible()
    {
        // The synthetic classifiers' schedule (stream key "batches"), read through ClassifierTask.BatchRows.
        var s = new EpochBatchSchedule(1000, 64, "batches");
        Assert.Equal(15, s.BatchesPerEpoch);
        int[] Batch(EpochBatchSchedule schedule, Rng r, long step)
        {
            var rows = new int[schedule.BatchSize];
            schedule.Fill(r, step, rows);
            return rows;
        }
        var rng = new Rng(12);
        var seen = new HashSet<int>();
        for (int step = 0; step < 15; step++)
            foreach (var r in Batch(s, rng, step)) Assert.True(seen.Add(r), "a row repeats within an epoch");
        Assert.Equal(960, seen.Count);
        Assert.Equal(Batch(s, new Rng(12), 20), Batch(new EpochBatchSchedule(1000, 64, "batches"), new Rng(12), 20));
        Assert.NotEqual(Batch(s, rng, 0), Batch(s, rng, 15));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EpochBatchSchedule(10, 11, "batches"));
        var task = new ClassifierTask("l", SyntheticDataset.MakeClassification(1000, 4, 1.0, 3), [], 64);
        Assert.Equal(Batch(s, new Rng(12), 20), task.BatchRows(new Rng(12), 20));
    }

    [Fact]
    public void MinibatchGradientAveragesToTheFullGradientOverAnEpochWithFullBatches()
    {
        // With B dividing N, one epoch's batches partition the rows: the mean minibatch gradient is the full one.
        var t = new ClassifierTask("l", SyntheticDataset.MakeClassification(100, 4, 1.0, 3), [], 20);
        var x = new double[t.Size];
        t.SampleInitial(new Rng(1), x);
        var full = new double[t.Size];
        t.Value(x, full);
        var acc = new double[t.Size];
        var g = new double[t.Size];
        var rng = new Rng(4);
        for (int step = 0; step < 5; step++)
        {
            t.TrainingValue(x, g, rng, step);
            for (int i = 0; i < g.Length; i++) acc[i] += g[i] / 5;
        }
        for (int i = 0; i < g.Length; i++) Assert.Equal(full[i], acc[i], 12);
    }
}
