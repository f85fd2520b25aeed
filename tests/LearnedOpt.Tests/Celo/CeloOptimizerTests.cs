using LearnedOpt.Backends;
using LearnedOpt.Optimizers;
using LearnedOpt.Optimizers.Celo;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tests.Celo;

/// <summary>Invariances, non-finite handling, determinism and the state contract of the Celo optimizer on the CPU.</summary>
[Trait("tier", "cpu")]
public class CeloOptimizerTests
{
    private static List<float[]> Deltas(List<float[]> before, List<float[]> after)
        => before.Zip(after, (b, a) => b.Zip(a, (x, y) => x - y).ToArray()).ToList();

    // Runs `steps` steps from the seeded start and returns every step's Δ.
    private static List<List<float[]>> Run(IBackend backend, List<TensorSpec> specs, List<float[]> p, Func<int, List<float[]>> grads, int steps, int seed = 5)
    {
        using var opt = CeloRun.Create(backend, specs, CeloTestData.Weights(seed), 40);
        var all = new List<List<float[]>>();
        for (int t = 0; t < steps; t++)
        {
            var before = p.Select(CeloRun.Copy).ToList();
            CeloRun.Step(opt, 2f - 0.1f * t, p, grads(t));
            all.Add(Deltas(before, p));
        }
        return all;
    }

    [Fact]
    public void TensorOrderIsIrrelevant()
    {
        var specs = CeloRun.MixedSpecs();
        using var backend = new CpuBackend();
        var a = Run(backend, specs, CeloRun.Params(specs, 6), t => CeloRun.Grads(specs, 6, t), 4);
        var rev = Enumerable.Reverse(specs).ToList();
        var pRev = Enumerable.Reverse(CeloRun.Params(specs, 6)).ToList();
        var b = Run(backend, rev, pRev, t => Enumerable.Reverse(CeloRun.Grads(specs, 6, t)).ToList(), 4);
        for (int t = 0; t < 4; t++)
            for (int k = 0; k < specs.Count; k++) Assert.Equal(a[t][k], b[t][specs.Count - 1 - k]);
    }

    [Fact]
    public void PermutingAMatrixsRowsAndColumnsPermutesTheStep()
    {
        // A 5x3 matrix; rows reversed and columns rotated, with its gradients alike.
        List<TensorSpec> specs = [new("w", [5, 3])];
        int Perm(int i) => (4 - i / 3) * 3 + (i % 3 + 1) % 3;
        float[] Permute(float[] v) { var r = new float[v.Length]; for (int i = 0; i < v.Length; i++) r[Perm(i)] = v[i]; return r; }
        using var backend = new CpuBackend();
        var p = CeloRun.Params(specs, 7);
        var a = Run(backend, specs, p, t => CeloRun.Grads(specs, 7, t), 3);
        var b = Run(backend, specs, [Permute(CeloRun.Params(specs, 7)[0])], t => [Permute(CeloRun.Grads(specs, 7, t)[0])], 3);
        for (int t = 0; t < 3; t++)
        {
            var expected = Permute(a[t][0]);
            double scale = expected.Max(MathF.Abs);
            for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - b[t][0][i]) <= 1e-6 * scale, $"step {t}, element {i}");
        }
    }

    [Fact]
    public void ScalingTheParametersScalesTheStep()
    {
        // p -> c p with the same gradients and state multiplies Δ by c (p enters only as p̂ and σ_p).
        var specs = CeloRun.MixedSpecs();
        using var backend = new CpuBackend();
        var p = CeloRun.Params(specs, 8);
        var scaled = p.Select(v => v.Select(x => 8f * x).ToArray()).ToList();
        var a = Run(backend, specs, p, t => CeloRun.Grads(specs, 8, t), 1);
        var b = Run(backend, specs, scaled, t => CeloRun.Grads(specs, 8, t), 1);
        for (int k = 0; k < specs.Count; k++)
        {
            double scale = a[0][k].Max(MathF.Abs) * 8;
            for (int i = 0; i < a[0][k].Length; i++)
                Assert.True(Math.Abs(8 * a[0][k][i] - b[0][k][i]) <= 1e-4 * scale, $"{specs[k].Name}[{i}]: {b[0][k][i]} vs 8 x {a[0][k][i]}");
        }
    }

    [Fact]
    public void ZeroGradientStillMovesTheParametersDeterministically()
    {
        var specs = CeloRun.MixedSpecs();
        using var backend = new CpuBackend();
        List<float[]> Zero(int _) => specs.Select(s => new float[s.Length]).ToList();
        var a = Run(backend, specs, CeloRun.Params(specs, 9), Zero, 2);
        var b = Run(backend, specs, CeloRun.Params(specs, 9), Zero, 2);
        Assert.Equal(a.SelectMany(s => s.SelectMany(v => v)), b.SelectMany(s => s.SelectMany(v => v)));
        Assert.All(a.SelectMany(s => s.SelectMany(v => v)), d => Assert.True(float.IsFinite(d)));
        Assert.Contains(a[0].SelectMany(v => v), d => d != 0);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void NonFiniteGradientSkipsItsTensorAndLeavesTheOthersAsIfFinite(float bad)
    {
        var specs = CeloRun.MixedSpecs();
        using var backend = new CpuBackend();
        using var clean = CeloRun.Create(backend, specs, CeloTestData.Weights(10));
        using var dirty = CeloRun.Create(backend, specs, CeloTestData.Weights(10));
        var pClean = CeloRun.Params(specs, 10);
        var pDirty = CeloRun.Params(specs, 10);
        CeloRun.Step(clean, 2f, pClean, CeloRun.Grads(specs, 10, 0));
        CeloRun.Step(dirty, 2f, pDirty, CeloRun.Grads(specs, 10, 0));
        var stateBefore = CeloRun.State(dirty);
        var heldP = CeloRun.Copy(pDirty[2]);
        var g = CeloRun.Grads(specs, 10, 1);
        var gBad = g.Select(CeloRun.Copy).ToList();
        gBad[2][4] = bad;
        gBad[2][7] = bad;
        CeloRun.Step(clean, 1.8f, pClean, g);
        CeloRun.Step(dirty, 1.8f, pDirty, gBad);

        Assert.Equal(heldP, pDirty[2]);
        var stateAfter = CeloRun.State(dirty);
        foreach (var name in new[] { "m", "rms", "v_row", "v_col" })
            Assert.Equal(stateBefore.Get($"param/tall/{name}").ToFloats(), stateAfter.Get($"param/tall/{name}").ToFloats());
        for (int k = 0; k < specs.Count; k++)
            if (k != 2) Assert.Equal(pClean[k], pDirty[k]);
        Assert.Equal(2, dirty.NonFiniteGradients);
        Assert.Equal(1, dirty.SkippedTensorSteps);
        Assert.Equal([false, false, true, false, false, false], dirty.LastStepSkipped);
        Assert.Equal(0, clean.NonFiniteGradients);
    }

    [Fact]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        // Large enough for the parallel passes; every reduction runs in a fixed order.
        List<TensorSpec> specs = [new("big", [300, 200]), new("vec", [70000])];
        var r1 = new List<List<float[]>>();
        using (var one = BackendSelector.CreateCpu(threads: 1))
            r1 = Run(one, specs, CeloRun.Params(specs, 11), t => CeloRun.Grads(specs, 11, t), 2);
        using var two = BackendSelector.CreateCpu(threads: 2);
        var r2 = Run(two, specs, CeloRun.Params(specs, 11), t => CeloRun.Grads(specs, 11, t), 2);
        for (int t = 0; t < 2; t++)
            for (int k = 0; k < specs.Count; k++) Assert.Equal(r1[t][k], r2[t][k]);
    }

    [Fact]
    public void StateRoundTripContinuesBitForBit()
    {
        var specs = CeloRun.MixedSpecs();
        var w = CeloTestData.Weights(12);
        using var backend = new CpuBackend();
        using var a = CeloRun.Create(backend, specs, w);
        var p = CeloRun.Params(specs, 12);
        for (int t = 0; t < 3; t++) CeloRun.Step(a, 2f - t * 0.2f, p, CeloRun.Grads(specs, 12, t));
        var path = Path.Combine(Path.GetTempPath(), $"celo-state-{Guid.NewGuid():N}.safetensors");
        try
        {
            a.SaveState(path);
            using var b = CeloRun.Create(backend, specs, w);
            b.LoadState(path);
            Assert.Equal(3, b.StepCount);
            var pb = p.Select(CeloRun.Copy).ToList();
            for (int t = 3; t < 5; t++)
            {
                CeloRun.Step(a, 1.5f, p, CeloRun.Grads(specs, 12, t));
                CeloRun.Step(b, 1.5f, pb, CeloRun.Grads(specs, 12, t));
            }
            for (int k = 0; k < specs.Count; k++) Assert.Equal(p[k], pb[k]);
            Assert.Equal(a.LastMultiplier, b.LastMultiplier);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ResetStateStartsOverExactly()
    {
        var specs = CeloRun.MixedSpecs();
        using var backend = new CpuBackend();
        using var opt = CeloRun.Create(backend, specs, CeloTestData.Weights(13));
        var p1 = CeloRun.Params(specs, 13);
        CeloRun.Step(opt, 2f, p1, CeloRun.Grads(specs, 13, 0));
        opt.ResetState();
        var p2 = CeloRun.Params(specs, 13);
        CeloRun.Step(opt, 2f, p2, CeloRun.Grads(specs, 13, 0));
        for (int k = 0; k < specs.Count; k++) Assert.Equal(p1[k], p2[k]);
    }

    [Fact]
    public void StepWithoutTheLossIsRefused()
    {
        using var backend = new CpuBackend();
        using var opt = CeloRun.Create(backend, [new("w", 3)], CeloTestData.Weights(14));
        var e = Assert.Throws<InvalidOperationException>(() => opt.Step(new float[3], new float[3]));
        Assert.Contains("ObserveLoss", e.Message);
        Assert.True(opt.ReadsLoss);
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        using var backend = new CpuBackend();
        var w = CeloTestData.Weights(15);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new CeloOptimizer(backend, [new("w", 3)], w, 0));
        Assert.Equal("totalSteps", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CeloOptimizer(backend, [new("w", 3)], w, 10, phase: 3));
        var f = Assert.Throws<ArgumentException>(() => OptimizerFactory.Create(OptimizerKind.Celo, backend, [new("w", 3)], new HyperParameters { TotalSteps = 10 }));
        Assert.Contains("--weights", f.Message);
    }

    [Fact]
    public void WeightFileRefusesWrongShapesAndNames()
    {
        var values = CeloTestData.RandomWeights(16);
        values["mlp/w1"] = new float[12];
        var doc = new LearnedOpt.IO.SafeTensorsFile.Document(
            CeloWeights.Layout.Select(e => LearnedOpt.IO.SafeTensor.FromFloats(e.Name, e.Name == "mlp/w1" ? [3, 4] : e.Shape, values[e.Name])).ToList(),
            new Dictionary<string, string>());
        var e = Assert.Throws<InvalidDataException>(() => CeloWeights.FromDocument(doc, "w.safetensors"));
        Assert.Contains("mlp/w1", e.Message);
        Assert.Contains("[3, 4]", e.Message);
        Assert.Equal(35808, CeloWeights.TotalFloats);
    }

    [Fact]
    public void StateBytesMatchTheLayout()
    {
        using var backend = new CpuBackend();
        using var vec = CeloRun.Create(backend, [new("b", 10)], CeloTestData.Weights(17));
        Assert.Equal(28, vec.StateBytesPerParameter);
        using var mat = CeloRun.Create(backend, [new("w", [100, 50])], CeloTestData.Weights(17));
        Assert.Equal(16 + 12.0 * (100 + 50) / 5000, mat.StateBytesPerParameter, 9);
    }
}
