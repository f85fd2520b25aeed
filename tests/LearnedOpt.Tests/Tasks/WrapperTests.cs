using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

[Trait("tier", "cpu")]
public class WrapperTests
{
    [Theory]
    [InlineData(0.123)]
    [InlineData(8.0)]
    [InlineData(1000.0)]
    public void RescaledLossAtSThetaEqualsInnerLossAtTheta(double s)
    {
        var inner = new NormTask(18, 2.5, 3);
        var r = new RescaleTask(inner, s);
        var x = new double[18];
        inner.SampleInitial(new Rng(1), x);
        var g = new double[18];
        var gs = new double[18];
        double f = inner.Value(x, g);
        double fs = r.Value(x.Select(v => s * v).ToArray(), gs);
        Assert.Equal(f, fs, 1e-12 * Math.Max(1, f));
        for (int i = 0; i < 18; i++) Assert.Equal(g[i] / s, gs[i], 1e-9 * Math.Max(1, Math.Abs(g[i] / s)));
    }

    [Fact]
    public void RescaledInitialPointIsTheInnerDrawTimesS()
    {
        var inner = new QuadraticTask(6, 2);
        var a = inner.SampleInitialPoint(new Rng(9))[0];
        var b = new RescaleTask(inner, 350).SampleInitialPoint(new Rng(9))[0];
        for (int i = 0; i < 6; i++) Assert.Equal(350 * a[i], b[i], 1e-12);
    }

    [Fact]
    public void SumGradientIsBlockDiagonal()
    {
        FlatTask[] parts = [new QuadraticTask(5, 1), new TestFunctionTask(TestFunction.Beale), new NormTask(4, 3, 2)];
        var sum = new SumTask("s", parts);
        var x = new double[sum.Size];
        sum.SampleInitial(new Rng(4), x);
        var g = new double[sum.Size];
        double f = sum.Value(x, g);
        double total = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            var gi = new double[parts[i].Size];
            total += parts[i].Value(x.AsSpan(sum.Offsets[i], parts[i].Size), gi);
            Assert.Equal(gi, g.AsSpan(sum.Offsets[i], parts[i].Size).ToArray());
        }
        Assert.Equal(total, f, 12);
        // Perturbing one block changes only that block of the gradient.
        x[sum.Offsets[1]] += 0.5;
        var g2 = new double[sum.Size];
        sum.Value(x, g2);
        for (int i = 0; i < sum.Size; i++)
            if (i < sum.Offsets[1] || i >= sum.Offsets[2]) Assert.Equal(g[i], g2[i]);
        Assert.Equal(["p0.x", "p1.x", "p2.x"], sum.Parameters.Select(p => p.Name));
    }

    [Fact]
    public void SparseZeroesAboutNinetyNinePercentAndKeepsTheRestExact()
    {
        var inner = new QuadraticTask(100, 3);
        var sparse = new SparseTask(inner);
        var x = new double[100];
        inner.SampleInitial(new Rng(1), x);
        var exact = new double[100];
        inner.Value(x, exact);
        var rng = new Rng(77);
        var g = new double[100];
        int zeros = 0, total = 0;
        for (int step = 0; step < 400; step++)
        {
            sparse.TrainingValue(x, g, rng, step);
            for (int i = 0; i < 100; i++, total++)
            {
                if (g[i] == 0) zeros++;
                else Assert.Equal(exact[i], g[i]);
            }
        }
        double q = 0.99, mean = q * total, sd = Math.Sqrt(total * q * (1 - q));
        Assert.InRange(zeros, mean - 4 * sd, mean + 4 * sd);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void GradientNoiseHasMeanZeroAndStdSigma(double sigma)
    {
        var task = new QuadraticTask(20, 1, sigma);
        var x = new double[20];
        task.SampleInitial(new Rng(3), x);
        var exact = new double[20];
        task.Value(x, exact);
        var rng = new Rng(5);
        var g = new double[20];
        double s = 0, ss = 0;
        int n = 0;
        for (int step = 0; step < 1000; step++)
        {
            task.TrainingValue(x, g, rng, step);
            for (int i = 0; i < 20; i++, n++)
            {
                double d = g[i] - exact[i];
                s += d; ss += d * d;
            }
        }
        double mean = s / n, std = Math.Sqrt(ss / n - mean * mean);
        Assert.InRange(mean, -4 * sigma / Math.Sqrt(n), 4 * sigma / Math.Sqrt(n));
        Assert.InRange(std, sigma * 0.97, sigma * 1.03);
    }

    [Fact]
    public void WrappersPassTheirSubProblemsNoiseThrough()
    {
        // Decision 2: the "noisy sum" entries are noisy; a rescaled noisy problem's noise is scaled by 1/s.
        var sum = (SumTask)SyntheticCatalog.All.Single(e => e.Name == "sum-quadratics-noisy").Build(3);
        var x = new double[sum.Size];
        sum.SampleInitial(new Rng(1), x);
        var exact = new double[sum.Size];
        sum.Value(x, exact);
        var g = new double[sum.Size];
        var rng = new Rng(8);
        double ss = 0;
        int n = 0;
        for (int step = 0; step < 500; step++)
        {
            sum.TrainingValue(x, g, rng, step);
            for (int i = 0; i < g.Length; i++, n++) ss += (g[i] - exact[i]) * (g[i] - exact[i]);
        }
        Assert.InRange(Math.Sqrt(ss / n), 0.1 * 0.95, 0.1 * 1.05);

        var rescaled = new RescaleTask(new BowlTask(1, 0, 1.0), 4);
        var y = new double[2];
        var ge = new double[2];
        rescaled.Value(y, ge);
        ss = 0; n = 0;
        for (int step = 0; step < 5000; step++)
        {
            rescaled.TrainingValue(y, g.AsSpan(0, 2), rng, step);
            for (int i = 0; i < 2; i++, n++) ss += (g[i] - ge[i]) * (g[i] - ge[i]);
        }
        Assert.InRange(Math.Sqrt(ss / n), 0.25 * 0.95, 0.25 * 1.05);
    }

    [Fact]
    public void NoiseFreeTrainingValueOfADataFreeTaskIsTheExactLoss()
    {
        var t = new BowlTask(5, 1);
        var x = new double[] { 0.3, -2 };
        var g1 = new double[2];
        var g2 = new double[2];
        Assert.Equal(t.Value(x, g1), t.TrainingValue(x, g2, new Rng(1), 3));
        Assert.Equal(g1, g2);
    }
}
