using LearnedOpt.Backends;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// BatchedWrappers.TryCreate: which lists it takes (every wrapped, noisy or MatMul catalog entry
/// whose leaves the factory has), what it asks the leaf factory for (only noise-free plain leaves,
/// with the caller's data seeds), what it refuses (plain leaves, instances of different structure,
/// missing leaves, releasing what it built), and the generator streams it hands out.
/// </summary>
[Trait("tier", "cpu")]
public class BatchedWrappersBuilderTests
{
    private static readonly CpuBackend Cpu = new();

    private static bool Wrapped(FlatTask t) => t is RescaleTask or LogTask or SparseTask or SumTask or MatMulTask || t.NoiseStd > 0;

    public static TheoryData<string> WrappedEntries()
    {
        var data = new TheoryData<string>();
        foreach (var e in SyntheticCatalog.Variant(SyntheticCatalog.DefaultVariant))
            if (e.Family != "logistic" && e.Family != "mlp" && Wrapped(e.Build(0))) data.Add(e.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(WrappedEntries))]
    public void EveryWrappedDefaultEntryIsBuiltAndAgreesWithItsTask(string name)
    {
        var entry = SyntheticCatalog.All.Single(e => e.Name == name);
        var tasks = Enumerable.Range(0, 3).Select(k => entry.Build((ulong)k)).ToList();
        ulong[] seeds = [5, 6, 7];
        var leaves = new BatchedWrapperLeaves(Cpu);
        using var p = BatchedWrappers.TryCreate(Cpu, tasks, seeds, leaves.Create);
        Assert.NotNull(p);
        Assert.Equal((3, tasks[0].Size), (p.Count, p.Dimension));
        foreach (var request in leaves.Requests)
            Assert.All(request, t => Assert.False(Wrapped(t), $"the leaf factory was asked for {t.Name} ({t.GetType().Name}, σ = {t.NoiseStd})"));
        var (theta, _) = BatchedWrapperCases.Points(tasks, 3);
        var (loss, grad) = BatchedWrapperHarness.Evaluate(p, theta);
        for (int k = 0; k < 3; k++)
        {
            var g = new double[p.Dimension];
            double f = tasks[k].Value(BatchedWrapperCases.Slice(theta, k, p.Dimension), g);
            Assert.True(Math.Abs(loss[k] - f) <= 1e-4 * Math.Abs(f) + 1e-6, $"{name}[{k}] loss {loss[k]} vs {f}");
            BatchedWrapperCases.AssertClose(grad.AsSpan(k * p.Dimension, p.Dimension), g, 1e-4, $"{name}[{k}] gradient");
        }
    }

    [Fact]
    public void PlainNoiseFreeLeavesAreLeftToTheLeafFactory()
    {
        var leaves = new BatchedWrapperLeaves(Cpu);
        Assert.Null(BatchedWrappers.TryCreate(Cpu, [new QuadraticTask(4, 1), new QuadraticTask(4, 2)], [1, 2], leaves.Create));
        Assert.Empty(leaves.Requests);
    }

    [Fact]
    public void NoisyLeavesAreRequestedAsTheirNoiseFreeTwinsWithTheCallersSeeds()
    {
        var tasks = SyntheticCatalog.All.Single(e => e.Name == "logistic-10-noisy");
        FlatTask[] list = [tasks.Build(0), tasks.Build(1)];
        IReadOnlyList<ulong>? seen = null;
        FlatTask[]? asked = null;
        var p = BatchedWrappers.TryCreate(Cpu, list, [40, 41], (t, s) => { asked = [.. t]; seen = s; return null; });
        // The test factory has no classifiers, so nothing is built; the request shows what would be.
        Assert.Null(p);
        Assert.NotNull(asked);
        Assert.All(asked, t => Assert.Equal(0, t.NoiseStd));
        var twin = Assert.IsType<ClassifierTask>(asked[1]);
        var original = (ClassifierTask)list[1];
        Assert.Same(original.Data, twin.Data);
        Assert.Equal(original.Widths, twin.Widths);
        Assert.Equal(original.BatchSize, twin.BatchSize);
        Assert.Equal([40UL, 41UL], seen);
    }

    [Fact]
    public void InstancesOfDifferentStructureAreRefused()
    {
        var leaves = new BatchedWrapperLeaves(Cpu);
        var q = new QuadraticTask(4, 1);
        FlatTask[][] mixed =
        [
            [new RescaleTask(q, 10), new RescaleTask(q, 20)],
            [new RescaleTask(q, 10), new LogTask(q)],
            [new SparseTask(q, 0.9), new SparseTask(q, 0.5)],
            [new QuadraticTask(4, 1, 0.1), new QuadraticTask(4, 2, 0.2)],
            [new QuadraticTask(4, 1, 0.1), new NormTask(4, 2, 2, 0.1)],
            [new SumTask("a", [q, new BowlTask(1)]), new SumTask("b", [new BowlTask(1), q])],
            [new MatMulTask(2, 5), new MatMulTask(2, 6)],
            [new LogTask(new QuadraticTask(3, 1)), new LogTask(new QuadraticTask(4, 1))],
            [new SumTask("a", [new LogTask(q), new QuadraticTask(3, 1, 0.5)]), new SumTask("b", [new LogTask(q), new NormTask(3, 2, 1, 0.5)])],
        ];
        foreach (var tasks in mixed)
            Assert.Null(BatchedWrappers.TryCreate(Cpu, tasks, [1, 2], leaves.Create));
    }

    [Fact]
    public void AMissingLeafGivesNullAndReleasesThePartsAlreadyBuilt()
    {
        var built = new List<TrackedLeaf>();
        IBatchedProblem? Factory(IReadOnlyList<FlatTask> tasks, IReadOnlyList<ulong> seeds)
        {
            if (tasks[0] is not QuadraticTask) return null;
            var leaf = new TrackedLeaf(new BatchedWrapperLeaves(Cpu).Create(tasks, seeds)!);
            built.Add(leaf);
            return leaf;
        }
        FlatTask Sum(ulong s) => new SumTask("s", [new QuadraticTask(3, s, 0.5), new LogTask(new QuadraticTask(2, s)), new ClassifierTaskStub()]);
        Assert.Null(BatchedWrappers.TryCreate(Cpu, [Sum(1), Sum(2)], [1, 2], Factory));
        Assert.Equal(2, built.Count);
        Assert.All(built, b => Assert.True(b.Disposed));
    }

    /// <summary>A leaf family the factory does not know.</summary>
    private sealed class ClassifierTaskStub() : FlatTask("stub", "stub", [new LearnedOpt.Tensors.TensorSpec("x", 1)], 0)
    {
        public override double Value(ReadOnlySpan<double> x, Span<double> grad) => 0;
        public override void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv) => hv.Clear();
        public override void SampleInitial(LearnedOpt.Randomness.Rng rng, Span<double> x) => x.Clear();
    }

    private sealed class TrackedLeaf(IBatchedProblem inner) : IBatchedProblem
    {
        public bool Disposed { get; private set; }
        public IBackend Backend => inner.Backend;
        public int Count => inner.Count;
        public int Dimension => inner.Dimension;
        public void Evaluate(TensorView theta, TensorView loss, TensorView gradient) => inner.Evaluate(theta, loss, gradient);
        public void HessianVectorProduct(TensorView theta, TensorView v, TensorView hv) => inner.HessianVectorProduct(theta, v, hv);
        public void TrainingStep(TensorView theta, long step, TensorView loss, TensorView gradient) => inner.TrainingStep(theta, step, loss, gradient);
        public void TrainingHvp(TensorView theta, long step, TensorView v, TensorView hv) => inner.TrainingHvp(theta, step, v, hv);
        public void Dispose()
        {
            Disposed = true;
            inner.Dispose();
        }
    }

    [Fact]
    public void ALeafOfTheWrongShapeFromTheFactoryIsAnError()
    {
        var leaves = new BatchedWrapperLeaves(Cpu);
        FlatTask[] tasks = [new LogTask(new QuadraticTask(3, 1)), new LogTask(new QuadraticTask(3, 2))];
        TrackedLeaf? wrong = null;
        var e = Assert.Throws<InvalidOperationException>(() => BatchedWrappers.TryCreate(Cpu, tasks, [1, 2],
            (t, s) => wrong = new TrackedLeaf(leaves.Create([new QuadraticTask(4, 1), new QuadraticTask(4, 2)], s)!)));
        Assert.Contains("2 × 4", e.Message);
        Assert.True(wrong!.Disposed);
    }

    [Fact]
    public void NoiseAndMaskNodesGetDistinctStreamsInPreOrder()
    {
        var tasks = BatchedWrapperCases.Tasks("nested-sum-of-wrappers", 2);
        using var p = BatchedWrapperCases.Create(Cpu, tasks);
        var sum = Assert.IsType<BatchedSum>(p);
        var sparse = Assert.IsType<BatchedSparse>(sum.Parts[0]);
        Assert.Equal(1u, sparse.Stream);
        Assert.Equal(2u, Assert.IsType<BatchedNoise>(sparse.Inner).Stream);
        Assert.IsType<BatchedLog>(sum.Parts[1]);
        Assert.IsType<BatchedRescale>(sum.Parts[2]);
        Assert.Equal(3u, Assert.IsType<BatchedNoise>(sum.Parts[3]).Stream);
        Assert.Equal([0, 5, 7, 9], sum.Offsets);
    }

    [Fact]
    public void BadArgumentsAreRejectedWithTheirName()
    {
        var leaves = new BatchedWrapperLeaves(Cpu);
        FlatTask[] tasks = [new LogTask(new QuadraticTask(3, 1))];
        Assert.Equal("backend", Assert.Throws<ArgumentNullException>(() => BatchedWrappers.TryCreate(null!, tasks, [1], leaves.Create)).ParamName);
        Assert.Equal("tasks", Assert.Throws<ArgumentException>(() => BatchedWrappers.TryCreate(Cpu, [], [], leaves.Create)).ParamName);
        Assert.Equal("dataSeeds", Assert.Throws<ArgumentException>(() => BatchedWrappers.TryCreate(Cpu, tasks, [1, 2], leaves.Create)).ParamName);
        Assert.Equal("inner", Assert.Throws<ArgumentNullException>(() => BatchedWrappers.TryCreate(Cpu, tasks, [1], null!)).ParamName);
    }
}
