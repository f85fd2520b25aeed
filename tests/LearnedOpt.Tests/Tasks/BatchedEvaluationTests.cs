using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// The float32 batched kernels against the float64 one-instance reference, at the same
/// (float-rounded) points: loss relative 1e-4, gradient and HVP relative to the instance's
/// largest component 1e-4 (1e-3 for Michalewicz, docs/tasks.md, tests).
/// </summary>
[Trait("tier", "cpu")]
public class BatchedEvaluationTests
{
    private const int Instances = 96;

    public static TheoryData<TestFunction> Functions() => new(TestFunctions.All);

    [Theory]
    [MemberData(nameof(Functions))]
    public void TestFunctionBatchMatchesTheReference(TestFunction fn)
        => Compare(Enumerable.Range(0, Instances).Select(_ => (FlatTask)new TestFunctionTask(fn)).ToList(), fn == TestFunction.Michalewicz ? 1e-3 : 1e-4);

    [Fact]
    public void BowlBatchMatchesTheReference()
    {
        var rng = new Rng(3);
        Compare(Enumerable.Range(0, Instances).Select(_ => (FlatTask)new BowlTask(rng.Uniform(0.1, 5), rng.Uniform(-3, 3))).ToList(), 1e-4);
    }

    [Theory]
    [InlineData(20)]
    [InlineData(100)]
    public void QuadraticBatchMatchesTheReference(int n)
        => Compare(Enumerable.Range(0, Instances).Select(i => (FlatTask)new QuadraticTask(n, (ulong)i)).ToList(), 1e-4);

    [Theory]
    [InlineData(27, 1.0)]
    [InlineData(25, 2.0)]
    [InlineData(18, 2.5)]
    [InlineData(22, 3.0)]
    public void NormBatchMatchesTheReference(int n, double p)
        => Compare(Enumerable.Range(0, Instances).Select(i => (FlatTask)new NormTask(n, p, (ulong)i)).ToList(), 1e-4);

    private static void Compare(IReadOnlyList<FlatTask> tasks, double tolerance)
    {
        var batch = HostProblemBatch.Create(tasks);
        int dim = batch.Dimension;
        var rng = new Rng(17);
        var theta = new float[tasks.Count * dim];
        var v = new float[theta.Length];
        for (int k = 0; k < tasks.Count; k++)
        {
            var x = new double[dim];
            tasks[k].SampleInitial(rng, x);
            for (int i = 0; i < dim; i++)
            {
                theta[k * dim + i] = (float)x[i];
                v[k * dim + i] = (float)rng.NextGaussian();
            }
        }
        var loss = new float[tasks.Count];
        var grad = new float[theta.Length];
        var hv = new float[theta.Length];
        batch.Evaluate(theta, loss, grad);
        batch.HessianVectorProduct(theta, v, hv);

        for (int k = 0; k < tasks.Count; k++)
        {
            var x = theta.AsSpan(k * dim, dim).ToArray().Select(f => (double)f).ToArray();
            var vk = v.AsSpan(k * dim, dim).ToArray().Select(f => (double)f).ToArray();
            var g = new double[dim];
            var h = new double[dim];
            double f = tasks[k].Value(x, g);
            tasks[k].Hvp(x, vk, h);
            Assert.True(Math.Abs(loss[k] - f) <= tolerance * Math.Abs(f) + 1e-6, $"{tasks[k].Name}[{k}]: loss {loss[k]} vs {f}");
            AssertClose(grad.AsSpan(k * dim, dim), g, tolerance, $"{tasks[k].Name}[{k}] gradient");
            AssertClose(hv.AsSpan(k * dim, dim), h, tolerance, $"{tasks[k].Name}[{k}] Hv");
        }
    }

    private static void AssertClose(ReadOnlySpan<float> actual, double[] expected, double tolerance, string what)
    {
        double scale = Math.Max(expected.Max(Math.Abs), 1e-6);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance * scale, $"{what}[{i}]: {actual[i]} vs {expected[i]} (scale {scale})");
    }

    [Fact]
    public void LossOnlyAndGradientOnlyCallsAgreeWithTheFullCall()
    {
        var batch = HostProblemBatch.Create(Enumerable.Range(0, 8).Select(i => (FlatTask)new NormTask(9, 2, (ulong)i)).ToList());
        var theta = Enumerable.Range(0, 72).Select(i => (float)Math.Sin(i)).ToArray();
        var (l1, g1) = (new float[8], new float[72]);
        var (l2, g2) = (new float[8], new float[72]);
        batch.Evaluate(theta, l1, g1);
        batch.Evaluate(theta, l2, Span<float>.Empty);
        batch.Evaluate(theta, Span<float>.Empty, g2);
        Assert.Equal(l1, l2);
        Assert.Equal(g1, g2);
    }

    [Fact]
    public void BadShapesAndMixedFamiliesAreRejected()
    {
        var batch = new TestFunctionBatch(TestFunction.Booth, 4);
        var e = Assert.Throws<ArgumentException>(() => batch.Evaluate(new float[7], new float[4], new float[8]));
        Assert.Equal("theta", e.ParamName);
        Assert.Throws<ArgumentException>(() => HostProblemBatch.Create([new QuadraticTask(3, 1), new QuadraticTask(4, 1)]));
        Assert.Throws<NotSupportedException>(() => HostProblemBatch.Create([new BowlTask(1), new QuadraticTask(2, 1)]));
        Assert.Throws<NotSupportedException>(() => HostProblemBatch.Create([new MatMulTask(2, 5)]));
    }

    [Fact]
    public void ThroughputHookReturnsAPositiveRate()
    {
        using var cpu = new LearnedOpt.Backends.CpuBackend();
        Assert.True(BatchedThroughput.Quadratic(cpu, 16, 32, iterations: 2) > 0);
    }
}
