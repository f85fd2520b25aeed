using System.Runtime.InteropServices;
using LearnedOpt.Backends;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tasks.Synthetic;
using LearnedOpt.Tests.Cuda;

namespace LearnedOpt.Tests.MetaTraining.Batched;

/// <summary>BatchedProblems.TryCreate and the HostProblemBatch adapter against the tasks' float64 math.</summary>
public class BatchedProblemsTests
{
    public static TheoryData<string> Families() => ["rosenbrock", "bowl", "quadratic", "norm"];

    internal static List<FlatTask> Tasks(string family, int count) => Enumerable.Range(0, count).Select(i => (FlatTask)(family switch
    {
        "rosenbrock" => new TestFunctionTask(TestFunction.Rosenbrock),
        "bowl" => new BowlTask(1 + 3 * i, 0.3 * i),
        "quadratic" => new QuadraticTask(5, (ulong)(10 + i)),
        "norm" => new NormTask(4, 1.5, (ulong)(20 + i)),
        _ => throw new ArgumentException(family),
    })).ToList();

    private static ulong[] Seeds(int n) => Enumerable.Range(0, n).Select(i => (ulong)(100 + i)).ToArray();

    /// <summary>Pinned host memory with its view.</summary>
    internal sealed class HostTensor(int length)
    {
        public float[] Values { get; } = GC.AllocateArray<float>(length, pinned: true);
        public TensorView View => new(Marshal.UnsafeAddrOfPinnedArrayElement(Values, 0), Values.Length, MemoryLocation.Host);
    }

    [Trait("tier", "cpu")]
    [Theory]
    [MemberData(nameof(Families))]
    public void AdapterMatchesTheTasksFloat64Math(string family)
    {
        using var cpu = new CpuBackend();
        var tasks = Tasks(family, 3);
        using var p = BatchedProblems.TryCreate(cpu, tasks, Seeds(3));
        Assert.NotNull(p);
        Assert.Same(cpu, p.Backend);
        int d = p.Dimension;
        Assert.Equal(tasks[0].Size, d);
        var theta = new HostTensor(3 * d);
        var v = new HostTensor(3 * d);
        var rng = new Rng(5);
        for (int i = 0; i < theta.Values.Length; i++) { theta.Values[i] = (float)(0.5 * rng.NextGaussian()); v.Values[i] = (float)rng.NextGaussian(); }
        var loss = new HostTensor(3);
        var grad = new HostTensor(3 * d);
        var hv = new HostTensor(3 * d);
        p.Evaluate(theta.View, loss.View, grad.View);
        p.HessianVectorProduct(theta.View, v.View, hv.View);
        for (int i = 0; i < 3; i++)
        {
            var x = theta.Values.AsSpan(i * d, d).ToArray().Select(f => (double)f).ToArray();
            var g = new double[d];
            double f = tasks[i].Value(x, g);
            var h = new double[d];
            tasks[i].Hvp(x, v.Values.AsSpan(i * d, d).ToArray().Select(f => (double)f).ToArray(), h);
            Close($"{family} loss {i}", f, loss.Values[i], Math.Abs(f));
            double gs = g.Max(Math.Abs), hs = h.Max(Math.Abs);
            for (int j = 0; j < d; j++)
            {
                Close($"{family} grad {i}/{j}", g[j], grad.Values[i * d + j], gs);
                Close($"{family} hvp {i}/{j}", h[j], hv.Values[i * d + j], hs);
            }
        }
        // Noise-free, full-data: a training step is the evaluation, at any step.
        var loss2 = new HostTensor(3);
        var grad2 = new HostTensor(3 * d);
        p.TrainingStep(theta.View, 17, loss2.View, grad2.View);
        Assert.Equal(loss.Values, loss2.Values);
        Assert.Equal(grad.Values, grad2.Values);
        var hv2 = new HostTensor(3 * d);
        p.TrainingHvp(theta.View, 3, v.View, hv2.View);
        Assert.Equal(hv.Values, hv2.Values);
        Assert.True(BatchedProblems.IsStepIndependent(tasks[0]));
    }

    private static void Close(string what, double expected, double got, double scale)
        => Assert.True(Math.Abs(expected - got) <= 2e-5 * scale + 1e-6, $"{what}: {got:R} vs float64 {expected:R}");

    [Trait("tier", "cpu")]
    [Fact]
    public void MixedFamiliesOrShapesGiveNull()
    {
        using var cpu = new CpuBackend();
        FlatTask[][] unsupported =
        [
            [new TestFunctionTask(TestFunction.Rosenbrock), new TestFunctionTask(TestFunction.Beale)],
            [new QuadraticTask(5, 1), new QuadraticTask(6, 1)],
            [new NormTask(4, 1.5, 1), new NormTask(4, 2, 1)],
            [new BowlTask(2), new QuadraticTask(2, 1)],
            [new RescaleTask(new QuadraticTask(4, 1), 2), new QuadraticTask(4, 1)],
        ];
        foreach (var tasks in unsupported) Assert.Null(BatchedProblems.TryCreate(cpu, tasks, Seeds(tasks.Length)));
    }

    [Trait("tier", "cpu")]
    [Fact]
    public void NoisyWrappedAndMatMulTasksAreComposites()
    {
        using var cpu = new CpuBackend();
        FlatTask[][] composites =
        [
            [new TestFunctionTask(TestFunction.Rosenbrock, noiseStd: 0.1)],
            [new QuadraticTask(5, 1, noiseStd: 0.01)],
            [new MatMulTask(3, 2)],
            [new RescaleTask(new QuadraticTask(4, 1), 2)],
        ];
        foreach (var tasks in composites)
        {
            using var problem = BatchedProblems.TryCreate(cpu, tasks, Seeds(tasks.Length));
            Assert.True(problem is BatchedComposite or BatchedMatMul, $"{tasks[0].Name}: {problem?.GetType().Name ?? "null"}");
            Assert.Equal(tasks[0].Size, problem!.Dimension);
        }
        // Noisy or unknown tasks depend on the step: they must never share a call across steps.
        Assert.False(BatchedProblems.IsStepIndependent(composites[0][0]));
        Assert.False(BatchedProblems.IsStepIndependent(composites[1][0]));
        Assert.False(BatchedProblems.IsStepIndependent(composites[2][0]));
    }

    [Trait("tier", "cpu")]
    [Fact]
    public void ClassifiersGoToTheBatchedClassifierProblem()
    {
        using var cpu = new CpuBackend();
        var entry = SyntheticCatalog.All.First(e => e.Name == "logistic-10");
        FlatTask[] tasks = [entry.Build(1), entry.Build(2), entry.Build(3)];
        using var problem = BatchedProblems.TryCreate(cpu, tasks, Seeds(tasks.Length));
        Assert.IsType<BatchedClassifierProblem>(problem);
        Assert.Equal(tasks[0].Size, problem!.Dimension);
        // Minibatches make the training step depend on the step.
        Assert.False(BatchedProblems.IsStepIndependent(tasks[0]));
    }

    [Trait("tier", "cpu")]
    [Fact]
    public void BadArgumentsNameTheArgument()
    {
        using var cpu = new CpuBackend();
        var tasks = Tasks("bowl", 2);
        Assert.Equal("dataSeeds", Assert.Throws<ArgumentException>(() => BatchedProblems.TryCreate(cpu, tasks, Seeds(3))).ParamName);
        Assert.Equal("tasks", Assert.Throws<ArgumentException>(() => BatchedProblems.TryCreate(cpu, [], [])).ParamName);
        using var p = BatchedProblems.TryCreate(cpu, tasks, Seeds(2))!;
        var theta = new HostTensor(4);
        var shortGrad = new HostTensor(3);
        Assert.Equal("gradient", Assert.Throws<ArgumentException>(() => p.Evaluate(theta.View, TensorView.None(MemoryLocation.Host), shortGrad.View)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => p.TrainingStep(theta.View, -1, TensorView.None(MemoryLocation.Host), TensorView.None(MemoryLocation.Host)));
    }

    [Trait("tier", "gpu")]
    [Theory]
    [MemberData(nameof(Families))]
    public void CudaAdapterMatchesTheCpuAdapter(string family)
    {
        Assert.SkipUnless(CudaTestEnvironment.HasDevice, CudaTestEnvironment.Reason);
        using var cpu = new CpuBackend();
        using var cuda = new CudaBackend();
        var tasks = Tasks(family, 4);
        using var host = BatchedProblems.TryCreate(cpu, tasks, Seeds(4))!;
        using var gpu = BatchedProblems.TryCreate(cuda, tasks, Seeds(4))!;
        int n = 4 * host.Dimension;
        var theta = new HostTensor(n);
        var rng = new Rng(9);
        for (int i = 0; i < n; i++) theta.Values[i] = (float)(0.5 * rng.NextGaussian());
        var loss = new HostTensor(4);
        var grad = new HostTensor(n);
        host.TrainingStep(theta.View, 5, loss.View, grad.View);
        using var dTheta = cuda.Allocate(n);
        using var dLoss = cuda.Allocate(4);
        using var dGrad = cuda.Allocate(n);
        cuda.CopyFromHost(theta.Values, dTheta.View);
        gpu.TrainingStep(dTheta.View, 5, dLoss.View, dGrad.View);
        var l = new float[4];
        var g = new float[n];
        cuda.CopyToHost(dLoss.View, l);
        cuda.CopyToHost(dGrad.View, g);
        for (int i = 0; i < 4; i++) Close($"loss {i}", loss.Values[i], l[i], Math.Abs(loss.Values[i]));
        double gs = grad.Values.Max(Math.Abs);
        for (int i = 0; i < n; i++) Close($"grad {i}", grad.Values[i], g[i], gs);
    }
}
