using LearnedOpt.Backends;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// The batched MatMul problem on the CPU library against MatMulTask (float64) at the same
/// float-rounded points. The batched math is float64 inside, so only the float32 outputs round:
/// loss, gradient and HVP agree to 1e-5 relative to the instance's scale. Also: the HVP against
/// central differences of the batched gradient, exact algorithms (Strassen, naive) at zero loss, the
/// singular-PᵀP guard, NaN isolation per instance, and one instance alone = the same in a batch.
/// </summary>
[Trait("tier", "cpu")]
public class MatMulBatchTests
{
    private static readonly CpuBackend Cpu = new();

    public static TheoryData<int, int> Sizes() => new() { { 2, 5 }, { 2, 7 }, { 2, 8 }, { 3, 19 }, { 3, 23 } };

    internal static (MatMulTask Task, float[] Theta, float[] V) Points(int n, int k, int count, ulong seed)
    {
        var task = new MatMulTask(n, k);
        var rng = new Rng(seed);
        var theta = new float[count * task.Size];
        var v = new float[theta.Length];
        var x = new double[task.Size];
        for (int c = 0; c < count; c++)
        {
            task.SampleInitial(rng, x);
            for (int i = 0; i < x.Length; i++)
            {
                theta[c * task.Size + i] = (float)x[i];
                v[c * task.Size + i] = (float)rng.NextGaussian();
            }
        }
        return (task, theta, v);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void LossGradientAndHvpMatchMatMulTask(int n, int k)
    {
        const int count = 6;
        var (task, theta, v) = Points(n, k, count, (ulong)(10 * n + k));
        using var p = new BatchedMatMul(Cpu, count, n, k);
        Assert.Equal(task.Size, p.Dimension);
        var (loss, grad) = BatchedWrapperHarness.Evaluate(p, theta);
        var hv = BatchedWrapperHarness.Hvp(p, theta, v);
        int dim = p.Dimension;
        for (int c = 0; c < count; c++)
        {
            var x = BatchedWrapperCases.Slice(theta, c, dim);
            var (g, h) = (new double[dim], new double[dim]);
            double f = task.Value(x, g);
            task.Hvp(x, BatchedWrapperCases.Slice(v, c, dim), h);
            Assert.True(Math.Abs(loss[c] - f) <= 1e-5 * f + 1e-9, $"matmul-{n}-{k}[{c}] loss {loss[c]} vs {f}");
            BatchedWrapperCases.AssertClose(grad.AsSpan(c * dim, dim), g, 1e-5, $"matmul-{n}-{k}[{c}] gradient");
            BatchedWrapperCases.AssertClose(hv.AsSpan(c * dim, dim), h, 1e-5, $"matmul-{n}-{k}[{c}] Hv");
        }
        // No data and no noise: a training step is the full evaluation.
        var (tl, tg) = BatchedWrapperHarness.TrainingStep(p, theta, 4);
        Assert.Equal(loss, tl);
        Assert.Equal(grad, tg);
        Assert.Equal(hv, BatchedWrapperHarness.TrainingHvp(p, theta, 4, v));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void HvpIsTheCentralDifferenceOfTheBatchedGradient(int n, int k)
    {
        var (_, theta, v) = Points(n, k, 3, 77);
        using var p = new BatchedMatMul(Cpu, 3, n, k);
        // The loss is far from quadratic (θ_c is a least-squares solve), so a smaller step than the wrappers'.
        BatchedWrapperTests.AssertFiniteDifference($"matmul-{n}-{k}", p.Dimension, theta, v, d => BatchedWrapperHarness.Hvp(p, theta, d),
            t => BatchedWrapperHarness.Evaluate(p, t).Grad, relativeStep: 1e-4);
    }

    [Fact]
    public void ExactAlgorithmsHaveZeroLossAndARandomFiveProductOneDoesNot()
    {
        // Naive 2 × 2 product: one product a_ij·b_jl per (i, j, l); Strassen's seven (KnownValueTests' layout).
        var naive = new float[64];
        int m = 0;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                for (int l = 0; l < 2; l++, m++)
                {
                    naive[(i * 2 + j) * 8 + m] = 1;
                    naive[32 + (j * 2 + l) * 8 + m] = 1;
                }
        var strassen = new float[56];
        (int, float)[][] a = [[(0, 1), (3, 1)], [(2, 1), (3, 1)], [(0, 1)], [(3, 1)], [(0, 1), (1, 1)], [(2, 1), (0, -1)], [(1, 1), (3, -1)]];
        (int, float)[][] b = [[(0, 1), (3, 1)], [(0, 1)], [(1, 1), (3, -1)], [(2, 1), (0, -1)], [(3, 1)], [(0, 1), (1, 1)], [(2, 1), (3, 1)]];
        for (int q = 0; q < 7; q++)
        {
            foreach (var (idx, c) in a[q]) strassen[idx * 7 + q] = c;
            foreach (var (idx, c) in b[q]) strassen[28 + idx * 7 + q] = c;
        }
        using var p8 = new BatchedMatMul(Cpu, 1, 2, 8);
        using var p7 = new BatchedMatMul(Cpu, 1, 2, 7);
        Assert.True(BatchedWrapperHarness.Evaluate(p8, naive).Loss[0] <= 1e-10);
        Assert.True(BatchedWrapperHarness.Evaluate(p7, strassen).Loss[0] <= 1e-10);
        var (_, random, _) = Points(2, 5, 1, 1);
        using var p5 = new BatchedMatMul(Cpu, 1, 2, 5);
        Assert.True(BatchedWrapperHarness.Evaluate(p5, random).Loss[0] > 0.1);
    }

    [Fact]
    public void SingularProductMatrixMatchesThePseudoInverseReference()
    {
        // All products identical: PᵀP has rank 1; both paths take the minimum-norm least squares.
        var task = new MatMulTask(2, 5);
        var theta = Enumerable.Repeat(1f, task.Size).ToArray();
        using var p = new BatchedMatMul(Cpu, 1, 2, 5);
        var (loss, grad) = BatchedWrapperHarness.Evaluate(p, theta);
        var g = new double[task.Size];
        double f = task.Value(theta.Select(x => (double)x).ToArray(), g);
        Assert.True(float.IsFinite(loss[0]) && grad.All(float.IsFinite));
        Assert.True(Math.Abs(loss[0] - f) <= 1e-5 * f);
        BatchedWrapperCases.AssertClose(grad, g, 1e-5, "singular gradient");
    }

    [Fact]
    public void ANonFiniteInstanceGivesNaNAndLeavesTheOthersAlone()
    {
        var (_, theta, v) = Points(2, 6, 3, 5);
        using var p = new BatchedMatMul(Cpu, 3, 2, 6);
        var clean = BatchedWrapperHarness.Evaluate(p, theta);
        int dim = p.Dimension;
        theta[dim + 4] = float.PositiveInfinity;
        var (loss, grad) = BatchedWrapperHarness.Evaluate(p, theta);
        var hv = BatchedWrapperHarness.Hvp(p, theta, v);
        Assert.True(float.IsNaN(loss[1]) && grad.AsSpan(dim, dim).ToArray().All(float.IsNaN) && hv.AsSpan(dim, dim).ToArray().All(float.IsNaN));
        Assert.Equal(clean.Loss[0], loss[0]);
        Assert.Equal(clean.Loss[2], loss[2]);
        Assert.Equal(clean.Grad.AsSpan(2 * dim).ToArray(), grad.AsSpan(2 * dim).ToArray());
    }

    [Fact]
    public void OneInstanceAloneEqualsThatInstanceInABatch()
    {
        var (_, theta, v) = Points(3, 20, 4, 3);
        using var batch = new BatchedMatMul(Cpu, 4, 3, 20);
        using var one = new BatchedMatMul(Cpu, 1, 3, 20);
        int dim = batch.Dimension, c = 2;
        var (t1, v1) = (theta.AsSpan(c * dim, dim).ToArray(), v.AsSpan(c * dim, dim).ToArray());
        var all = BatchedWrapperHarness.Evaluate(batch, theta);
        var single = BatchedWrapperHarness.Evaluate(one, t1);
        Assert.Equal(all.Loss[c], single.Loss[0]);
        Assert.Equal(all.Grad.AsSpan(c * dim, dim).ToArray(), single.Grad);
        Assert.Equal(BatchedWrapperHarness.Hvp(batch, theta, v).AsSpan(c * dim, dim).ToArray(), BatchedWrapperHarness.Hvp(one, t1, v1));
    }

    [Fact]
    public void BadArgumentsAreRejectedWithTheirName()
    {
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchedMatMul(Cpu, 1, 0, 5)).ParamName);
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchedMatMul(Cpu, 1, 7, 5)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchedMatMul(Cpu, 1, 2, 0)).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchedMatMul(Cpu, 0, 2, 5)).ParamName);
        using var p = new BatchedMatMul(Cpu, 2, 2, 5);
        using var t = Cpu.Allocate(80);
        using var wrong = Cpu.Allocate(79);
        var none = TensorView.None(MemoryLocation.Host);
        Assert.Equal("theta", Assert.Throws<ArgumentException>(() => p.Evaluate(wrong.View, none, none)).ParamName);
        Assert.Equal("gradient", Assert.Throws<ArgumentException>(() => p.Evaluate(t.View, none, wrong.View)).ParamName);
        Assert.Equal("v", Assert.Throws<ArgumentException>(() => p.HessianVectorProduct(t.View, wrong.View, t.View)).ParamName);
        Assert.Equal("step", Assert.Throws<ArgumentOutOfRangeException>(() => p.TrainingStep(t.View, -2, none, none)).ParamName);
    }
}
