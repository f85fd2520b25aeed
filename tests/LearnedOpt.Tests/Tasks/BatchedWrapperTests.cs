using LearnedOpt.Backends;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// The batched wrappers on the CPU library against the float64 FlatTasks at the same
/// (float-rounded) points: full-data loss, gradient and HVP, and the noise- and mask-free
/// minibatch step, within float32 tolerance (1e-4 relative to the instance's scale); the HVP
/// against central differences of the batched gradient itself; and one instance alone equal, bit
/// for bit, to the same instance inside a batch.
/// </summary>
[Trait("tier", "cpu")]
public class BatchedWrapperTests
{
    private const int Instances = 12;
    private static readonly CpuBackend Cpu = new();

    public static TheoryData<string> Cases() => BatchedWrapperCases.All();

    [Theory]
    [MemberData(nameof(Cases))]
    public void LossGradientAndHvpMatchTheFloat64Task(string name)
    {
        var tasks = BatchedWrapperCases.Tasks(name, Instances);
        using var p = BatchedWrapperCases.Create(Cpu, tasks);
        Assert.Equal(tasks[0].Size, p.Dimension);
        Assert.Equal(Instances, p.Count);
        var (theta, v) = BatchedWrapperCases.Points(tasks, 21);
        var (loss, grad) = BatchedWrapperHarness.Evaluate(p, theta);
        var hv = BatchedWrapperHarness.Hvp(p, theta, v);
        var (mloss, mgrad) = BatchedWrapperHarness.MinibatchStep((BatchedComposite)p, theta, 5);
        int dim = p.Dimension;
        for (int k = 0; k < Instances; k++)
        {
            var x = BatchedWrapperCases.Slice(theta, k, dim);
            var (g, h, mg) = (new double[dim], new double[dim], new double[dim]);
            double f = tasks[k].Value(x, g);
            tasks[k].Hvp(x, BatchedWrapperCases.Slice(v, k, dim), h);
            double mf = tasks[k].MinibatchValue(x, mg, new LearnedOpt.Randomness.Rng(BatchedWrapperCases.DataSeed(k)).Stream(5), 5);
            Assert.True(Math.Abs(loss[k] - f) <= 1e-4 * Math.Abs(f) + 1e-6, $"{name}[{k}] loss {loss[k]} vs {f}");
            Assert.True(Math.Abs(mloss[k] - mf) <= 1e-4 * Math.Abs(mf) + 1e-6, $"{name}[{k}] minibatch loss {mloss[k]} vs {mf}");
            BatchedWrapperCases.AssertClose(grad.AsSpan(k * dim, dim), g, 1e-4, $"{name}[{k}] gradient");
            BatchedWrapperCases.AssertClose(mgrad.AsSpan(k * dim, dim), mg, 1e-4, $"{name}[{k}] minibatch gradient");
            BatchedWrapperCases.AssertClose(hv.AsSpan(k * dim, dim), h, 1e-4, $"{name}[{k}] Hv");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void HvpIsTheCentralDifferenceOfTheBatchedGradient(string name)
    {
        var tasks = BatchedWrapperCases.Tasks(name, 4);
        using var p = BatchedWrapperCases.Create(Cpu, tasks);
        var (theta, v) = BatchedWrapperCases.Points(tasks, 33);
        AssertFiniteDifference(name, p.Dimension, theta, v, d => BatchedWrapperHarness.Hvp(p, theta, d),
            t => BatchedWrapperHarness.Evaluate(p, t).Grad);
    }

    /// <summary>
    /// Per instance k: (g(θ + h v) − g(θ − h v)) / 2h against the HVP, with h = relativeStep·max(1, ‖θ_k‖∞)
    /// (float32 gradients: rounding ~ ε‖g‖/h, truncation ~ h²), within 1% of the larger of the two
    /// vectors' scales. The HVP is taken along the direction the float32 points actually differ by.
    /// </summary>
    internal static void AssertFiniteDifference(string name, int dim, float[] theta, float[] v, Func<float[], float[]> hvp,
        Func<float[], float[]> gradient, double relativeStep = 1e-3)
    {
        int count = theta.Length / dim;
        var h = new double[count];
        var plus = (float[])theta.Clone();
        var minus = (float[])theta.Clone();
        var direction = new float[theta.Length];
        for (int k = 0; k < count; k++)
        {
            double m = 1;
            for (int i = 0; i < dim; i++) m = Math.Max(m, Math.Abs(theta[k * dim + i]));
            h[k] = relativeStep * m;
            for (int i = 0; i < dim; i++)
            {
                int e = k * dim + i;
                plus[e] = (float)(theta[e] + h[k] * v[e]);
                minus[e] = (float)(theta[e] - h[k] * v[e]);
                direction[e] = (float)(((double)plus[e] - minus[e]) / (2 * h[k]));
            }
        }
        var hv = hvp(direction);
        var gp = gradient(plus);
        var gm = gradient(minus);
        for (int k = 0; k < count; k++)
        {
            var fd = new double[dim];
            double scale = 1e-6;
            for (int i = 0; i < dim; i++)
            {
                int e = k * dim + i;
                fd[i] = ((double)gp[e] - gm[e]) / (2 * h[k]);
                scale = Math.Max(scale, Math.Max(Math.Abs(fd[i]), Math.Abs(hv[e])));
            }
            for (int i = 0; i < dim; i++)
                Assert.True(Math.Abs(fd[i] - hv[k * dim + i]) <= 1e-2 * scale, $"{name}[{k}]: Hv[{i}] = {hv[k * dim + i]:R} vs central difference {fd[i]:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OneInstanceAloneEqualsThatInstanceInABatch(string name)
    {
        var tasks = BatchedWrapperCases.Tasks(name, 5);
        using var batch = BatchedWrapperCases.Create(Cpu, tasks);
        var (theta, v) = BatchedWrapperCases.Points(tasks, 8);
        int dim = batch.Dimension, k = 3;
        using var one = BatchedWrapperCases.Create(Cpu, [tasks[k]], first: k);
        var (t1, v1) = (theta.AsSpan(k * dim, dim).ToArray(), v.AsSpan(k * dim, dim).ToArray());
        void Same((float[] Loss, float[] Grad) all, (float[] Loss, float[] Grad) single, string what)
        {
            Assert.Equal(all.Loss[k], single.Loss[0]);
            Assert.Equal(all.Grad.AsSpan(k * dim, dim).ToArray(), single.Grad);
        }
        Same(BatchedWrapperHarness.Evaluate(batch, theta), BatchedWrapperHarness.Evaluate(one, t1), "evaluate");
        Same(BatchedWrapperHarness.TrainingStep(batch, theta, 3), BatchedWrapperHarness.TrainingStep(one, t1, 3), "training step");
        Assert.Equal(BatchedWrapperHarness.Hvp(batch, theta, v).AsSpan(k * dim, dim).ToArray(), BatchedWrapperHarness.Hvp(one, t1, v1));
        Assert.Equal(BatchedWrapperHarness.TrainingHvp(batch, theta, 3, v).AsSpan(k * dim, dim).ToArray(), BatchedWrapperHarness.TrainingHvp(one, t1, 3, v1));
    }

    [Fact]
    public void TrainingStepsOfDeterministicEntriesAreTheFullEvaluation()
    {
        foreach (var name in new[] { "rescale-quadratic-50", "log-bowl-5", "sum-norm-quadratic-rosenbrock" })
        {
            var tasks = BatchedWrapperCases.Tasks(name, 3);
            using var p = BatchedWrapperCases.Create(Cpu, tasks);
            var (theta, v) = BatchedWrapperCases.Points(tasks, 2);
            var full = BatchedWrapperHarness.Evaluate(p, theta);
            var train = BatchedWrapperHarness.TrainingStep(p, theta, 9);
            Assert.Equal(full.Loss, train.Loss);
            Assert.Equal(full.Grad, train.Grad);
            Assert.Equal(BatchedWrapperHarness.Hvp(p, theta, v), BatchedWrapperHarness.TrainingHvp(p, theta, 9, v));
        }
    }

    [Fact]
    public void BadArgumentsAreRejectedWithTheirName()
    {
        var tasks = BatchedWrapperCases.Tasks("log-quadratic-20", 2);
        using var p = BatchedWrapperCases.Create(Cpu, tasks);
        using var theta = Cpu.Allocate(40);
        using var shortBuffer = Cpu.Allocate(39);
        using var loss = Cpu.Allocate(2);
        var none = TensorView.None(MemoryLocation.Host);
        Assert.Equal("theta", Assert.Throws<ArgumentException>(() => p.Evaluate(shortBuffer.View, loss.View, none)).ParamName);
        Assert.Equal("loss", Assert.Throws<ArgumentException>(() => p.Evaluate(theta.View, theta.View, none)).ParamName);
        Assert.Equal("gradient", Assert.Throws<ArgumentException>(() => p.TrainingStep(theta.View, 0, none, shortBuffer.View)).ParamName);
        Assert.Equal("step", Assert.Throws<ArgumentOutOfRangeException>(() => p.TrainingStep(theta.View, -1, loss.View, none)).ParamName);
        Assert.Equal("hv", Assert.Throws<ArgumentException>(() => p.HessianVectorProduct(theta.View, theta.View, none)).ParamName);
        var device = TensorView.Device(0x1000, 40);
        Assert.Equal("theta", Assert.Throws<ArgumentException>(() => p.Evaluate(device, none, none)).ParamName);

        using var leaf = new BatchedWrapperLeaves(Cpu).Create([new QuadraticTask(4, 1), new QuadraticTask(4, 2)], [1, 2])!;
        Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchedRescale(leaf, 0)).ParamName);
        Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchedRescale(leaf, double.NaN)).ParamName);
        Assert.Equal("sigma", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchedNoise(leaf, [1, 2], -1, 1)).ParamName);
        Assert.Equal("dropProbability", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchedSparse(leaf, [1, 2], 1, 1)).ParamName);
        Assert.Equal("seeds", Assert.Throws<ArgumentException>(() => new BatchedNoise(leaf, [1], 0.5, 1)).ParamName);
        Assert.Equal("parts", Assert.Throws<ArgumentException>(() => new BatchedSum([])).ParamName);
        p.Dispose();
        Assert.Throws<ObjectDisposedException>(() => p.Evaluate(theta.View, loss.View, none));
    }

    [Fact]
    public void LogOfAnInfiniteOrNaNInnerLossStaysNonFinite()
    {
        using var leaf = new BatchedWrapperLeaves(Cpu).Create([new QuadraticTask(3, 1), new QuadraticTask(3, 2)], [1, 2])!;
        using var log = new BatchedLog(leaf);
        var (loss, grad) = BatchedWrapperHarness.Evaluate(log, [float.NaN, 0, 0, 1e30f, 1e30f, 1e30f]);
        Assert.True(float.IsNaN(loss[0]) && float.IsNaN(grad[0]));
        Assert.True(float.IsPositiveInfinity(loss[1]), $"loss {loss[1]}");
    }
}
