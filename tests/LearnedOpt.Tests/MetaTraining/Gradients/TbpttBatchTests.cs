using LearnedOpt.MetaTraining.Gradients;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// The lock-step batch walk (<see cref="TbpttMetaGradient.ComputeBatch(HrnnParameters, IReadOnlyList{TbpttProblem}, IReadOnlyList{TbpttOptions}, int, HrnnCoordinateEngine?)"/>)
/// on the CPU engine: every problem's result equals that problem computed alone, bit for bit,
/// whatever the thread count (<see cref="TbpttReferenceTests"/> checks the single-problem unroll
/// against an independent reference); the engine is called once per phase per inner step for the
/// whole batch; bad batch arguments are rejected by name.
/// </summary>
[Trait("tier", "cpu")]
public class TbpttBatchTests
{
    [Fact]
    public void BatchEqualsEachProblemAloneBitForBit()
    {
        var (w, problems, options) = BatchCases.Make();
        var batch = TbpttMetaGradient.ComputeBatch(w, problems, options, maxParallelism: 3);
        Assert.Equal(problems.Length, batch.Length);
        for (int p = 0; p < problems.Length; p++)
        {
            AssertSame(TbpttMetaGradient.Compute(w, problems[p], options[p]), batch[p], $"problem {p} alone");
            Assert.Equal(options[p].Steps + 1, batch[p].Losses.Length);
            Assert.True(batch[p].Gradient.Norm() > 0, $"problem {p}");
        }
        // The case skips tensor 1 at step 1 (θ does not move there), and the carried state gives no h0 gradient.
        Assert.Equal(TbpttMetaGradient.Evaluate(w, problems[1], 1).FinalTheta[1], TbpttMetaGradient.Evaluate(w, problems[1], 2).FinalTheta[1]);
        foreach (var h0 in new[] { "cell/param/h0", "cell/tensor/h0", "cell/global/h0" })
        {
            Assert.All(batch[2].Gradient[h0], v => Assert.Equal(0.0, v));
            Assert.Contains(batch[0].Gradient[h0], v => v != 0);
        }
    }

    [Fact]
    public void BatchDoesNotDependOnTheThreadCount()
    {
        var (w, problems, options) = BatchCases.Make();
        var one = TbpttMetaGradient.ComputeBatch(w, problems, options, maxParallelism: 1);
        var many = TbpttMetaGradient.ComputeBatch(w, problems, options, maxParallelism: -1);
        for (int p = 0; p < problems.Length; p++) AssertSame(one[p], many[p], $"problem {p}");
    }

    [Fact]
    public void TheEngineIsCalledOncePerPhasePerStepForTheWholeBatch()
    {
        var (w, problems, options) = BatchCases.Make();
        // One tape each (different T): forward, one up-front replay and the adjoint all take max T calls.
        var oneTape = options.Select(o => o with { CheckpointEvery = 0 }).ToArray();
        int longest = oneTape.Max(o => o.Steps);
        var counts = Count(w, problems, oneTape);
        Assert.Equal(new Calls(2 * longest, 2 * longest, longest, longest), counts);
        Assert.True(counts.Forward < 2 * oneTape.Sum(o => o.Steps));

        // Same T and checkpoint interval: the batch makes exactly the calls of one of its problems.
        var same = Enumerable.Repeat(new TbpttOptions(5, CheckpointEvery: 2), problems.Length).ToArray();
        Assert.Equal(Count(w, problems[..1], same[..1]), Count(w, problems, same));
        Assert.Equal(new Calls(10, 10, 5, 5), Count(w, problems, same));
    }

    [Fact]
    public void BadBatchArgumentsAreRejectedByName()
    {
        var (w, problems, options) = BatchCases.Make();
        var e = Assert.Throws<ArgumentException>(() => TbpttMetaGradient.ComputeBatch(w, problems, options[..2]));
        Assert.Equal("options", e.ParamName);
        Assert.Contains("2 options for 5 problems", e.Message);
        var r = Assert.Throws<ArgumentOutOfRangeException>(() => TbpttMetaGradient.ComputeBatch(w, problems, options, maxParallelism: 0));
        Assert.Equal("maxParallelism", r.ParamName);
        var bad = options.ToArray();
        bad[3] = new TbpttOptions(0);
        e = Assert.Throws<ArgumentException>(() => TbpttMetaGradient.ComputeBatch(w, problems, bad));
        Assert.Equal("options", e.ParamName);
        Assert.Contains("Problem 3 of the batch", e.Message);
        Assert.Contains("Steps must be >= 1", e.Message);
        Assert.Empty(TbpttMetaGradient.ComputeBatch(w, [], Array.Empty<TbpttOptions>()));
    }

    internal readonly record struct Calls(int Forward, int EllSums, int Backward, int AddToEll);

    private static Calls Count(HrnnParameters w, TbpttProblem[] problems, TbpttOptions[] options)
    {
        using var engine = new CountingEngine();
        TbpttMetaGradient.ComputeBatch(w, problems, options, engine: engine);
        return new Calls(engine.ForwardCalls, engine.EllSumCalls, engine.BackwardCalls, engine.AddToEllCalls);
    }

    internal static void AssertSame(TbpttResult expected, TbpttResult actual, string what)
    {
        Assert.True(double.IsFinite(expected.MetaLoss), what);
        Assert.Equal(Bits(expected.MetaLoss), Bits(actual.MetaLoss));
        foreach (var (tensor, _) in expected.Gradient.Layout)
            Assert.True(expected.Gradient[tensor].Select(Bits).SequenceEqual(actual.Gradient[tensor].Select(Bits)), $"{what}: {tensor}");
        Assert.Equal(expected.Losses.Select(Bits), actual.Losses.Select(Bits));
        for (int q = 0; q < expected.FinalTheta.Length; q++)
        {
            Assert.Equal(expected.FinalTheta[q].Select(Bits), actual.FinalTheta[q].Select(Bits));
            Assert.Equal(expected.FinalState.Coords[q].Select(Bits), actual.FinalState.Coords[q].Select(Bits));
            Assert.Equal(expected.FinalState.Sk[q].Select(Bits), actual.FinalState.Sk[q].Select(Bits));
        }
        Assert.Equal(expected.FinalState.G.Select(Bits), actual.FinalState.G.Select(Bits));
    }

    private static long Bits(double v) => BitConverter.DoubleToInt64Bits(v);

    // The CPU engine, counting the batched calls the unroll makes (the single-tensor ones must not be used directly).
    private sealed class CountingEngine : HrnnCoordinateEngine
    {
        private static readonly HrnnCoordinateEngine Inner = Cpu;
        public int ForwardCalls, BackwardCalls, EllSumCalls, AddToEllCalls;

        public override string Description => "counting cpu";
        public override bool IsThreadSafe => true;
        public override CoordinateTensor Allocate(int length) => Inner.Allocate(length);
        public override void Upload(ReadOnlySpan<double> values, CoordinateTensor destination) => Inner.Upload(values, destination);
        public override void Download(CoordinateTensor source, Span<double> values) => Inner.Download(source, values);
        public override void Copy(CoordinateTensor source, CoordinateTensor destination) => Inner.Copy(source, destination);
        public override double EllSum(IReadOnlyList<CoordinateTensor> tensors) => throw new InvalidOperationException("unbatched EllSum");
        public override void AddToEll(CoordinateTensor adjoint, double value) => throw new InvalidOperationException("unbatched AddToEll");
        public override CoordinateWeights Place(double[] pack) => Inner.Place(pack);

        public override void Forward(CoordinateWeights w, double[] e0, double mu, double lambda, double[] g, CoordinateTensor input,
                                     CoordinateTensor output, double[] d, double[] a, double[] sums) => throw new InvalidOperationException("unbatched Forward");

        public override void Backward(CoordinateWeights w, double[] e0, double mu, double lambda, double[] g, CoordinateTensor input,
                                      CoordinateTensor adjoint, double[] xAdd, double[] hAdd, double[] dBar, double[] aBar, double[] gBar, double[] acc)
            => throw new InvalidOperationException("unbatched Backward");

        public override void ForwardAll(CoordinateWeights w, IReadOnlyList<ForwardJob> jobs)
        {
            Interlocked.Increment(ref ForwardCalls);
            Inner.ForwardAll(w, jobs);
        }

        public override void BackwardAll(CoordinateWeights w, IReadOnlyList<BackwardJob> jobs)
        {
            Interlocked.Increment(ref BackwardCalls);
            Inner.BackwardAll(w, jobs);
        }

        public override double[] EllSums(IReadOnlyList<IReadOnlyList<CoordinateTensor>> groups)
        {
            Interlocked.Increment(ref EllSumCalls);
            return Inner.EllSums(groups);
        }

        public override void AddToEll(IReadOnlyList<EllJob> jobs)
        {
            Interlocked.Increment(ref AddToEllCalls);
            Inner.AddToEll(jobs);
        }
    }
}
