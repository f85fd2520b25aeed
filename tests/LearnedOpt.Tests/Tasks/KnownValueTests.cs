using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

/// <summary>The known values of docs/tasks.md, tests for the families with closed-form minima.</summary>
[Trait("tier", "cpu")]
public class KnownValueTests
{
    [Theory]
    [InlineData(20)]
    [InlineData(50)]
    public void QuadraticIsHalfYSquaredAtZeroAndZeroAtItsSolution(int n)
    {
        var q = new QuadraticTask(n, 7);
        double half = 0.5 * q.Y.Sum(v => v * v);
        Assert.Equal(half, q.Value(new double[n], Span<double>.Empty), 10);
        var star = DenseSolve.Solve(q.W, q.Y, n);
        var g = new double[n];
        Assert.True(q.Value(star, g) < 1e-12 * Math.Max(1, half), "f(W⁻¹y) should be 0");
        Assert.True(g.Max(Math.Abs) < 1e-8);
    }

    [Theory]
    [InlineData(27, 1.0)]
    [InlineData(25, 2.0)]
    [InlineData(22, 3.0)]
    public void NormIsItsFloorAtTheQuadraticSolution(int n, double p)
    {
        var t = new NormTask(n, p, 3);
        var star = DenseSolve.Solve(t.W, t.Y, n);
        // Residuals at W⁻¹y are rounding-sized, far below ε = 1e-6.
        Assert.Equal(Math.Pow(n, 1 / p) * 1e-6, t.Value(star, Span<double>.Empty), 9);
    }

    [Fact]
    public void RotatedBowlAtE1IsOnePointFive() => Assert.Equal(1.5, new BowlTask(5, Math.PI / 4).Value([1, 0], Span<double>.Empty), 12);

    [Fact]
    public void BowlIsZeroAtTheOrigin() => Assert.Equal(0, new BowlTask(0.1).Value([0, 0], Span<double>.Empty));

    [Fact]
    public void LogWrapperIsZeroWhereTheInnerLossIsZero()
    {
        var log = new LogTask(new BowlTask(5, 1));
        Assert.Equal(0, log.Value([0, 0], Span<double>.Empty), 12);
        var q = new QuadraticTask(10, 4);
        var star = DenseSolve.Solve(q.W, q.Y, 10);
        Assert.Equal(0, new LogTask(q).Value(star, Span<double>.Empty), 6);
    }

    [Fact]
    public void NaiveEightProductAlgorithmIsExact()
    {
        var t = new MatMulTask(2, 8);
        var x = new double[t.Size];
        int m = 0;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                for (int l = 0; l < 2; l++, m++)
                {
                    x[(i * 2 + j) * 8 + m] = 1;          // A_ij
                    x[32 + (j * 2 + l) * 8 + m] = 1;     // B_jl
                }
        Assert.True(t.Value(x, Span<double>.Empty) <= 1e-10);
    }

    [Fact]
    public void StrassenIsExactWithSevenProducts()
    {
        var t = new MatMulTask(2, 7);
        var x = new double[t.Size];
        // Entries (row-major index of the 2×2 matrix, coefficient) of each product's two factors.
        (int, double)[][] a = [[(0, 1), (3, 1)], [(2, 1), (3, 1)], [(0, 1)], [(3, 1)], [(0, 1), (1, 1)], [(2, 1), (0, -1)], [(1, 1), (3, -1)]];
        (int, double)[][] b = [[(0, 1), (3, 1)], [(0, 1)], [(1, 1), (3, -1)], [(2, 1), (0, -1)], [(3, 1)], [(0, 1), (1, 1)], [(2, 1), (3, 1)]];
        for (int m = 0; m < 7; m++)
        {
            foreach (var (idx, c) in a[m]) x[idx * 7 + m] = c;
            foreach (var (idx, c) in b[m]) x[28 + idx * 7 + m] = c;
        }
        Assert.True(t.Value(x, Span<double>.Empty) <= 1e-10);
        // A random algorithm with 5 products cannot be exact.
        var t5 = new MatMulTask(2, 5);
        var y = new double[t5.Size];
        t5.SampleInitial(new Rng(1), y);
        Assert.True(t5.Value(y, Span<double>.Empty) > 0.1);
    }

    [Fact]
    public void SingularProductMatrixGivesAFiniteLoss()
    {
        // All products identical: PᵀP has rank 1; the pseudo-inverse keeps the loss finite.
        var t = new MatMulTask(2, 5);
        var x = new double[t.Size];
        for (int i = 0; i < x.Length; i++) x[i] = 1;
        var g = new double[t.Size];
        double f = t.Value(x, g);
        Assert.True(double.IsFinite(f) && g.All(double.IsFinite));
    }

    [Fact]
    public void RescaleKeepsTheMinimumValueAndScalesTheMinimizer()
    {
        var q = new QuadraticTask(8, 5);
        var star = DenseSolve.Solve(q.W, q.Y, 8);
        var r = new RescaleTask(q, 350);
        Assert.True(r.Value(star.Select(v => 350 * v).ToArray(), Span<double>.Empty) < 1e-18);
    }
}
