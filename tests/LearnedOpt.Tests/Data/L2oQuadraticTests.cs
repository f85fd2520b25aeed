using LearnedOpt.Randomness;
using LearnedOpt.Tasks;

namespace LearnedOpt.Tests.Data;

[Trait("tier", "cpu")]
public class L2oQuadraticTests
{
    [Fact]
    public void GradientMatchesCentralDifferences()
    {
        var task = new L2oQuadraticTask(4);
        var theta = task.SampleInitialPoint(new Rng(1));
        for (int i = 0; i < theta[0].Length; i++) theta[0][i] += new Rng((ulong)i).NextGaussian();
        double err = GradientCheck.MaxRelativeError((t, g) => task.Loss(t, g), theta, seed: 2);
        Assert.True(err < 1e-6, $"max relative error {err:E2}");
    }

    [Fact]
    public void LossAtZeroIsMeanSquaredNormOfY()
    {
        var task = new L2oQuadraticTask(5);
        double expected = Enumerable.Range(0, L2oQuadraticTask.Problems).Sum(p => Dot(task.Y(p), task.Y(p))) / L2oQuadraticTask.Problems;
        Assert.Equal(expected, task.Loss([new double[1280]], null), 1e-12);
    }

    [Fact]
    public void LossVanishesAtTheSolutionOfEveryProblem()
    {
        var task = new L2oQuadraticTask(6);
        var x = new double[1280];
        for (int p = 0; p < L2oQuadraticTask.Problems; p++) Solve(task.W(p), task.Y(p), x.AsSpan(p * 10, 10));
        var grad = new double[1280];
        Assert.True(task.Loss([x], [grad]) < 1e-18);
        Assert.True(grad.Max(Math.Abs) < 1e-8);
    }

    [Fact]
    public void CoefficientsAreUniformAndFixedBySeed()
    {
        var a = new L2oQuadraticTask(7);
        var b = new L2oQuadraticTask(7);
        var c = new L2oQuadraticTask(8);
        Assert.Equal(a.W(3).ToArray(), b.W(3).ToArray());
        Assert.Equal(a.Y(127).ToArray(), b.Y(127).ToArray());
        Assert.NotEqual(a.W(3).ToArray(), c.W(3).ToArray());
        var all = Enumerable.Range(0, 128).SelectMany(p => a.W(p).ToArray()).ToArray();
        Assert.All(all, v => Assert.InRange(v, 0.0, 1.0 - 1e-17));
        Assert.Equal(0.5, all.Average(), 0.01); // 12800 draws: sd of the mean 0.0026
    }

    [Fact]
    public void InitialPointIsNormalWithStd001()
    {
        var x = new L2oQuadraticTask(1).SampleInitialPoint(new Rng(2))[0];
        Assert.Equal(1280, x.Length);
        Assert.Equal(0.01, Math.Sqrt(x.Select(v => v * v).Average()), 0.001);
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    // Gaussian elimination with partial pivoting on a copy of the 10x10 system.
    private static void Solve(ReadOnlySpan<double> w, ReadOnlySpan<double> y, Span<double> x)
    {
        const int n = 10;
        var a = new double[n, n + 1];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) a[i, j] = w[i * n + j];
            a[i, n] = y[i];
        }
        for (int c = 0; c < n; c++)
        {
            int piv = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[piv, c])) piv = r;
            for (int j = 0; j <= n; j++) (a[c, j], a[piv, j]) = (a[piv, j], a[c, j]);
            for (int r = c + 1; r < n; r++)
            {
                double f = a[r, c] / a[c, c];
                for (int j = c; j <= n; j++) a[r, j] -= f * a[c, j];
            }
        }
        for (int i = n - 1; i >= 0; i--)
        {
            double s = a[i, n];
            for (int j = i + 1; j < n; j++) s -= a[i, j] * x[j];
            x[i] = s / a[i, i];
        }
    }
}
