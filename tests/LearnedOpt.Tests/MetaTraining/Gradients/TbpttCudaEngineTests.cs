using LearnedOpt.Backends;
using LearnedOpt.Backends.Cuda;
using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Estimators;
using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;
using LearnedOpt.Tests.Cuda;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// GPU tier (skips without a usable device): TBPTT with the per-coordinate work on the GPU
/// (<see cref="CudaCoordinateEngine"/>, float64) against the CPU engine on the same problems: M, every
/// entry of dM/dφ (relative 1e-9 of the tensor's largest entry), the losses, θ_T and the final state;
/// the same run twice gives the same bits (fixed-order reductions); the engine's storage operations.
/// </summary>
[Trait("tier", "gpu")]
public class TbpttCudaEngineTests(CudaBackendFixture fixture) : IClassFixture<CudaBackendFixture>
{
    private const double Rel = 1e-9;

    public static TheoryData<string, bool, int> Cases() => EngineParityCases.All();

    [Theory]
    [MemberData(nameof(Cases))]
    public void CudaEngineMatchesTheCpuEngine(string name, bool firstOrder, int every)
    {
        using var engine = new CudaCoordinateEngine(fixture.Backend);
        var (w, problem) = EngineParityCases.Make(name);
        var options = new TbpttOptions(EngineParityCases.Steps, firstOrder, every);
        var cpu = TbpttMetaGradient.Compute(w, problem, options, HrnnCoordinateEngine.Cpu);
        var gpu = TbpttMetaGradient.Compute(w, problem, options, engine);
        AssertClose(cpu, gpu, name);
    }

    [Fact]
    public void CudaEngineMatchesOnAStochasticUnrollWithTrainingHessians()
    {
        using var engine = new CudaCoordinateEngine(fixture.Backend);
        var task = new ClassifierTask("mlp", SyntheticDataset.RandomMlp(64, 6, 5), [40], 16, noiseStd: 0.1);
        var w = MetaGradTestData.Weights(5, 6, 4);
        var theta0 = task.SampleInitialPoint(new Rng(5));
        var problem = TrainingOracle.Problem(task, theta0, task.Loss(theta0, null), 77, start: 2, initialLogLr: -2.0);
        var options = new TbpttOptions(6, CheckpointEvery: 4);
        AssertClose(TbpttMetaGradient.Compute(w, problem, options), TbpttMetaGradient.Compute(w, problem, options, engine), "stochastic mlp");
    }

    [Fact]
    public void CudaEngineRepeatsBitForBit()
    {
        using var engine = new CudaCoordinateEngine(fixture.Backend);
        var (w, problem) = EngineParityCases.Make("three-tensor");
        var options = new TbpttOptions(4, CheckpointEvery: 3);
        var a = TbpttMetaGradient.Compute(w, problem, options, engine);
        var b = TbpttMetaGradient.Compute(w, problem, options, engine);
        Assert.Equal(a.MetaLoss, b.MetaLoss);
        foreach (var (tensor, _) in w.Layout) Assert.Equal(a.Gradient[tensor], b.Gradient[tensor]);
    }

    [Fact]
    public void StorageRoundTripsAndTheEllHelpersMatchTheCpu()
    {
        using var engine = new CudaCoordinateEngine(fixture.Backend);
        var rng = new Rng(3);
        foreach (int n in new[] { 1, 127, 128, 129, 5000 })
        {
            var values = Enumerable.Range(0, n * TbpttHrnnState.PerCoordinate).Select(_ => rng.Gaussian(0, 1)).ToArray();
            using var t = engine.Allocate(n);
            using var u = engine.Allocate(n);
            engine.Upload(values, t);
            engine.Copy(t, u);
            engine.AddToEll(u, 0.25);
            var back = new double[values.Length];
            engine.Download(u, back);
            using var h = HrnnCoordinateEngine.Cpu.Allocate(n);
            HrnnCoordinateEngine.Cpu.Upload(values, h);
            HrnnCoordinateEngine.Cpu.AddToEll(h, 0.25);
            var expected = new double[values.Length];
            HrnnCoordinateEngine.Cpu.Download(h, expected);
            Assert.Equal(expected, back);
            double cpuSum = HrnnCoordinateEngine.Cpu.EllSum([h]), gpuSum = engine.EllSum([u]);
            Assert.True(Math.Abs(cpuSum - gpuSum) <= 1e-12 * (1 + values.Sum(Math.Abs)), $"n = {n}: Σℓ {gpuSum:R} on the GPU, {cpuSum:R} on the CPU");
        }
        using var other = HrnnCoordinateEngine.Cpu.Allocate(4);
        using var mine = engine.Allocate(4);
        Assert.Throws<ArgumentException>(() => engine.Copy(other, mine));
    }

    [Fact]
    public void TbpttEstimatorOnTheCudaEngineMatchesTheCpuEngine()
    {
        using var engine = new CudaCoordinateEngine(fixture.Backend);
        using var host = new CpuBackend();
        var cfg = SmallConfigs.Tiny(3) with { Estimator = "tbptt", MaxParameters = 400 };
        TbpttEstimator Make(HrnnCoordinateEngine? e)
        {
            var vector = new HrnnParameterVector(cfg.H1, cfg.H2);
            var env = new PerSlotUnrollEnvironment(cfg, new EnsembleSampler(cfg.Ensemble, cfg.MaxParameters), vector, host);
            return new TbpttEstimator(env, vector, threads: 2, e);
        }
        var (cpu, gpu) = (Make(null), Make(engine));
        Assert.Same(HrnnCoordinateEngine.Cpu, cpu.Engine);
        var phi = new HrnnParameterVector(cfg.H1, cfg.H2).Flatten(HrnnWeightInit.Create(cfg.InitSeed, cfg.H1, cfg.H2));
        // Three calls: the later ones continue from the carried θ and state.
        for (int it = 0; it < 3; it++)
        {
            var (a, b) = (cpu.Estimate(phi), gpu.Estimate(phi));
            Assert.Equal(a.InnerSteps, b.InnerSteps);
            Assert.True(Math.Abs(a.MetaLoss - b.MetaLoss) <= Rel * Math.Abs(a.MetaLoss), $"call {it}: meta-loss {b.MetaLoss:R} on the GPU, {a.MetaLoss:R} on the CPU");
            double scale = a.Gradient.Max(v => Math.Abs((double)v));
            Assert.True(scale > 0);
            for (int i = 0; i < a.Gradient.Length; i++)
                Assert.True(Math.Abs(a.Gradient[i] - b.Gradient[i]) <= 1e-6 * Math.Abs(a.Gradient[i]) + Rel * scale,
                    $"call {it}, φ[{i}]: {b.Gradient[i]:R} on the GPU, {a.Gradient[i]:R} on the CPU");
        }
    }

    [Fact]
    public void EachStepCostsTheDocumentedTransfersAndLaunches()
    {
        using var engine = new CudaCoordinateEngine(fixture.Backend);
        var (w, problem) = EngineParityCases.Make("least-squares");
        long n = problem.Theta0[0].Length;
        CudaCoordinateEngine.Traffic Cost(int steps)
        {
            var before = engine.Transfers;
            TbpttMetaGradient.Compute(w, problem, new TbpttOptions(steps), engine);
            var after = engine.Transfers;
            return new(after.BytesToDevice - before.BytesToDevice, after.BytesToHost - before.BytesToHost, after.Launches - before.Launches);
        }
        var (c2, c3, c4) = (Cost(2), Cost(3), Cost(4));
        Assert.Equal(c3.BytesToDevice - c2.BytesToDevice, c4.BytesToDevice - c3.BytesToDevice);
        // Per step (one tensor, no checkpoints): the forward and its replay each upload the job table for Σℓ
        // (14 doubles) and [table | e0 | g] and download Σℓ and [d | a | sums]; the adjoint uploads
        // [table | e0 | x̄ | h̄ | g | d̄ | ā] and downloads [ḡ | sums], and the ℓ adjoint uploads a table.
        const long table = 14, g0 = 30, head = 52;
        Assert.Equal(8 * (2 * (table + table + g0 + n) + table + head + 3 * n + table), c4.BytesToDevice - c3.BytesToDevice);
        Assert.Equal(8 * (2 * (1 + 2 * n + HrnnCoordinateEngine.Sums) + n + HrnnCoordinateEngine.Accumulators), c4.BytesToHost - c3.BytesToHost);
        Assert.Equal(2 * (2 + 2) + 2 + 1, c4.Launches - c3.Launches);
        Assert.Equal(c3.Launches - c2.Launches, c4.Launches - c3.Launches);
    }

    [Fact]
    public void BatchOnTheCudaEngineMatchesTheCpuEngine()
    {
        using var engine = new CudaCoordinateEngine(fixture.Backend);
        var (w, problems, options) = BatchCases.Make();
        var cpu = TbpttMetaGradient.ComputeBatch(w, problems, options, engine: HrnnCoordinateEngine.Cpu);
        var gpu = TbpttMetaGradient.ComputeBatch(w, problems, options, engine: engine);
        var again = TbpttMetaGradient.ComputeBatch(w, problems, options, engine: engine);
        for (int p = 0; p < problems.Length; p++)
        {
            AssertClose(cpu[p], gpu[p], $"batch problem {p}");
            // Fixed-order reductions: the same batch repeats bit for bit.
            Assert.Equal(gpu[p].MetaLoss, again[p].MetaLoss);
            foreach (var (tensor, _) in w.Layout) Assert.Equal(gpu[p].Gradient[tensor], again[p].Gradient[tensor]);
        }
    }

    [Fact]
    public void ABatchCostsTheKernelLaunchesOfOneProblem()
    {
        using var engine = new CudaCoordinateEngine(fixture.Backend);
        var (w, all, _) = BatchCases.Make();
        // Same T, one tape, no skipped tensors: the per-step launches (Σℓ, forward, adjoint, ℓ adjoint,
        // and their row sums) are shared by the batch; each extra problem only adds the device copies
        // of its first checkpoint (one per tensor).
        TbpttProblem[] problems = [all[0], all[2], all[3], all[4]];
        var options = new TbpttOptions(4);
        long Launches(TbpttProblem[] batch)
        {
            long before = engine.Transfers.Launches;
            TbpttMetaGradient.ComputeBatch(w, batch, Enumerable.Repeat(options, batch.Length).ToArray(), engine: engine);
            return engine.Transfers.Launches - before;
        }
        long one = Launches(problems[..1]), many = Launches(problems);
        Assert.Equal(one + problems[1..].Sum(p => p.Theta0.Length), many);
        // Per step: forward and replay (Σℓ, its row sums, forward, its row sums) and adjoint (adjoint, row sums, ℓ adjoint).
        Assert.Equal(4 * (2 * 4 + 3) + problems[0].Theta0.Length, one);
    }

    [Fact]
    public void BatchedAndSingleTensorCallsMatchTheCpuEngine()
    {
        using var engine = new CudaCoordinateEngine(fixture.Backend);
        var inputs = new[] { 1, 300, 9000 }.Select((n, j) => HrnnGradNativeTests.Random(n, (ulong)(60 + j))).ToArray();
        var cpu = Run(HrnnCoordinateEngine.Cpu, inputs, batched: true);
        foreach (bool batched in new[] { true, false })
        {
            var gpu = Run(engine, inputs, batched);
            Assert.Equal(cpu.Count, gpu.Count);
            for (int i = 0; i < cpu.Count; i++) Close($"output {i} (batched: {batched})", cpu[i], gpu[i]);
        }
    }

    // Forward then adjoint of every tensor (in place on the state adjoint); returns every output.
    private static List<double[]> Run(HrnnCoordinateEngine engine, HrnnGradNativeTests.Inputs[] inputs, bool batched)
    {
        var outputs = new List<double[]>();
        using var weights = engine.Place(inputs[0].W.CoordinatePack());
        double mu = inputs[0].Mu, lambda = inputs[0].Lambda;
        var tensors = new List<CoordinateTensor>();
        try
        {
            var fwd = new List<ForwardJob>();
            var bwd = new List<BackwardJob>();
            foreach (var x in inputs)
            {
                var (inp, outp, bar) = (engine.Allocate(x.N), engine.Allocate(x.N), engine.Allocate(x.N));
                tensors.AddRange([inp, outp, bar]);
                engine.Upload(x.State, inp);
                engine.Upload(x.NBar, bar);
                fwd.Add(new ForwardJob(x.E0, x.G, inp, outp, new double[x.N], new double[x.N], new double[HrnnCoordinateEngine.Sums], mu, lambda));
                bwd.Add(new BackwardJob(x.E0, x.G, inp, bar, x.XAdd, x.HAdd, x.DBar, x.ABar, new double[x.N], new double[HrnnCoordinateEngine.Accumulators], mu, lambda));
            }
            if (batched)
            {
                engine.ForwardAll(weights, fwd);
                engine.BackwardAll(weights, bwd);
                engine.AddToEll(bwd.Select(j => j.Adjoint).ToArray(), 0.5);
            }
            else
            {
                foreach (var j in fwd) engine.Forward(weights, j.E0, mu, lambda, j.G, j.Input, j.Output, j.D, j.A, j.Sums);
                foreach (var j in bwd) engine.Backward(weights, j.E0, mu, lambda, j.G, j.Input, j.Adjoint, j.XAdd, j.HAdd, j.DBar, j.ABar, j.GBar, j.Acc);
                foreach (var j in bwd) engine.AddToEll(j.Adjoint, 0.5);
            }
            outputs.Add([engine.EllSum(fwd.Select(j => j.Output).ToArray())]);
            foreach (var (f, b) in fwd.Zip(bwd))
            {
                var next = new double[f.Output.Values];
                engine.Download(f.Output, next);
                var pbar = new double[b.Adjoint.Values];
                engine.Download(b.Adjoint, pbar);
                outputs.AddRange([next, f.D, f.A, f.Sums, pbar, b.GBar, b.Acc]);
            }
            return outputs;
        }
        finally
        {
            foreach (var t in tensors) t.Dispose();
        }
    }

    private static void AssertClose(TbpttResult cpu, TbpttResult gpu, string name)
    {
        Assert.True(double.IsFinite(cpu.MetaLoss));
        Assert.True(Math.Abs(cpu.MetaLoss - gpu.MetaLoss) <= Rel * Math.Abs(cpu.MetaLoss), $"{name}: M {gpu.MetaLoss:R} on the GPU, {cpu.MetaLoss:R} on the CPU");
        foreach (var (tensor, _) in cpu.Gradient.Layout) Close($"{name} {tensor}", cpu.Gradient[tensor], gpu.Gradient[tensor]);
        Close($"{name} losses", cpu.Losses, gpu.Losses);
        for (int q = 0; q < cpu.FinalTheta.Length; q++)
        {
            Close($"{name} θ_T[{q}]", cpu.FinalTheta[q], gpu.FinalTheta[q]);
            Close($"{name} state[{q}]", cpu.FinalState.Coords[q], gpu.FinalState.Coords[q]);
        }
        Assert.True(cpu.Gradient.Norm() > 0);
    }

    // Entry-wise within Rel of the array's largest magnitude (sums of many terms cancel in places).
    private static void Close(string what, double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Length == 0 ? 0 : expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Rel * scale + 1e-300,
                $"{what}[{i}]: {actual[i]:R} on the GPU, {expected[i]:R} on the CPU (scale {scale:R})");
    }
}
