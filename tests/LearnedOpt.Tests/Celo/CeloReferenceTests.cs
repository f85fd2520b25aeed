using LearnedOpt.Backends;
using LearnedOpt.Optimizers.Celo;

namespace LearnedOpt.Tests.Celo;

/// <summary>
/// The float32 CPU step against the independent float64 reference (CeloReference), and the
/// reference's building blocks against the worked numbers of the published description.
/// </summary>
[Trait("tier", "cpu")]
public class CeloReferenceTests
{
    [Fact]
    public void LstmCellMatchesTheWorkedNumbers()
    {
        // I = H = 1, x = 1; input row [1, 1, 0, 1] ([i, g, f, o]), hidden row 0, b = 0.
        double[] h = [0], c = [0];
        CeloReference.LstmCell([1, 1, 0, 1], h, c);
        Assert.Equal(0.556770, c[0], 6);
        Assert.Equal(0.369606, h[0], 6);
        // Next step, hidden row [0.5, 0, 0, 0]: the input gate's pre-activation gains 0.5 h.
        double i = 1 + 0.5 * h[0];
        Assert.Equal(0.765810, 1 / (1 + Math.Exp(-i)), 6);
        CeloReference.LstmCell([i, 1, 0, 1], h, c);
        Assert.Equal(0.990268, c[0], 6);
        Assert.Equal(0.553760, h[0], 6);
    }

    [Fact]
    public void ProgressFeaturesMatchTheWorkedNumbers()
    {
        double[] at0 = [-0.291313, -0.761594, -0.964028, -0.999329, -0.999988, -1, -1, -1, -1];
        double[] atHalf = [0.999835, 0.999329, 0.995055, 0.761594, -0.761594, -0.995055, -0.999329, -0.999909, -0.999988];
        var f0 = CeloReference.ProgressFeatures(0, 1000);
        var f5 = CeloReference.ProgressFeatures(500, 1000);
        for (int j = 0; j < 9; j++)
        {
            Assert.Equal(at0[j], f0[j], 6);
            Assert.Equal(atHalf[j], f5[j], 6);
        }
    }

    [Fact]
    public void LossFeaturesMatchTheWorkedNumbers()
    {
        var r = new CeloReference(CeloTestData.RandomWeights(1), [[1]], 1000);
        double[] decays = [0.9048374, 0.9418131, 0.9647000, 0.9786861, 0.9871676, 0.9922873, 0.9953692, 0.9972213, 0.9983333, 0.9990005];
        for (int j = 0; j < 10; j++) Assert.Equal(decays[j], r.LossDecays[j], 7);
        foreach (var l in new[] { 2.0, 1.5 })
        {
            r.AddLoss(l);
            Assert.All(r.LossFeatures(), f => Assert.Equal(0, f));
        }
        foreach (var l in new[] { 1.0, 1.2, 0.8 })
        {
            r.AddLoss(l);
            Assert.All(r.LossFeatures(), f => Assert.Equal(-1, f, 9));
        }
        r.AddLoss(5.0);
        Close([0.000641, -0.004454, -0.004739, -0.003670, -0.002519, -0.001629, -0.001021, -0.000628, -0.000382], r.LossFeatures());
        r.AddLoss(0.7);
        Close([-0.204247, -0.154452, -0.108636, -0.072372, -0.046413, -0.029021, -0.017855, -0.010874, -0.006581], r.LossFeatures());
    }

    private static void Close(double[] expected, double[] actual)
    {
        for (int j = 0; j < expected.Length; j++) Assert.True(Math.Abs(expected[j] - actual[j]) < 1.5e-6, $"feature {j}: {actual[j]} vs {expected[j]}");
    }

    [Fact]
    public void FactoredAccumulatorMatchesTheWorkedNumbersOnBothImplementations()
    {
        // g = [[1, 0, -1], [2, 2, 2]], β = 0.9: v_row = [0.0666667, 0.4], v_col = [0.25, 0.2, 0.25].
        float[] g = [1, 0, -1, 2, 2, 2];
        var r = new CeloReference(CeloTestData.RandomWeights(2), [[2, 3], [3, 2]], 100);
        double[] gT = [1, 2, 0, 2, -1, 2];
        r.Step(1.0, [[0.5, -0.5, 0.25, 0.1, 0.2, -0.3], [0.5, 0.1, -0.5, 0.2, 0.25, -0.3]], [g.Select(x => (double)x).ToArray(), gT]);
        foreach (var st in r.States)
        {
            Assert.Equal(0.0666667, st.VRow[0][0], 6);
            Assert.Equal(0.4, st.VRow[0][1], 6);
            Assert.Equal([0.25, 0.2, 0.25], st.VCol[0].Select(v => Math.Round(v, 6)));
        }

        using var backend = new CpuBackend();
        using var opt = CeloRun.Create(backend, [new("w", [2, 3]), new("wt", [3, 2])], CeloTestData.Weights(2), 100);
        CeloRun.Step(opt, 1f, [[0.5f, -0.5f, 0.25f, 0.1f, 0.2f, -0.3f], [0.5f, 0.1f, -0.5f, 0.2f, 0.25f, -0.3f]], [g, gT.Select(x => (float)x).ToArray()]);
        var state = CeloRun.State(opt);
        foreach (var name in new[] { "w", "wt" })
        {
            var vRow = state.Get($"param/{name}/v_row").ToFloats();
            var vCol = state.Get($"param/{name}/v_col").ToFloats();
            Assert.Equal([3L, 2L], state.Get($"param/{name}/v_row").Shape);
            Assert.Equal(0.0666667f, vRow[0], 1e-6f);
            Assert.Equal(0.4f, vRow[1], 1e-6f);
            Assert.Equal(0.25f, vCol[0], 1e-6f);
            Assert.Equal(0.2f, vCol[1], 1e-6f);
            Assert.Equal(0.25f, vCol[2], 1e-6f);
        }
    }

    [Fact]
    public void CpuStepMatchesTheFloat64ReferenceOnEveryTensorKind()
    {
        var specs = CeloRun.MixedSpecs();
        var values = CeloTestData.RandomWeights(3);
        using var backend = new CpuBackend();
        using var opt = CeloRun.Create(backend, specs, CeloWeights.FromValues(values), totalSteps: 30);
        var reference = new CeloReference(values, specs.Select(s => s.Shape).ToList(), 30);
        var p = CeloRun.Params(specs, 3);
        // A rising loss, a spike the buffer clips, and a NaN loss the buffer ignores.
        float[] losses = [2.3f, 2.1f, 1.9f, 2.2f, 1.5f, 9.0f, 1.2f, float.NaN, 1.0f, 0.9f, 0.95f, 0.7f];
        for (int t = 0; t < losses.Length; t++)
        {
            var g = CeloRun.Grads(specs, 3, t);
            var before = p.Select(CeloRun.Copy).ToList();
            CeloRun.Step(opt, losses[t], p, g);
            var refP = before.Select(v => v.Select(x => (double)x).ToArray()).ToList();
            var refDelta = reference.Step(losses[t], refP, g.Select(v => v.Select(x => (double)x).ToArray()).ToList());
            Assert.True(Math.Abs(opt.LastMultiplier - reference.LastMultiplier) <= 1e-9 * reference.LastMultiplier,
                $"step {t}: s = {opt.LastMultiplier} vs reference {reference.LastMultiplier}");
            var errors = Enumerable.Range(0, specs.Count)
                .Select(k => CeloRun.StepError(before[k], p[k], refDelta[k])).ToList();
            Assert.True(errors.All(e => e <= 1),
                $"step {t}: Δ differs from the reference by [{string.Join(", ", errors.Select(e => e.ToString("e2")))}] of the tolerance; " +
                $"first elements {string.Join(" ", specs.Select((s, k) => $"{s.Name}: {before[k][0] - p[k][0]:e6} vs {refDelta[k][0]:e6}"))}");
        }
    }

    [Fact]
    public void PhaseOneUsesUnitMultiplierAndMatchesTheReference()
    {
        var specs = CeloRun.MixedSpecs();
        var values = CeloTestData.RandomWeights(4);
        using var backend = new CpuBackend();
        using var opt = CeloRun.Create(backend, specs, CeloWeights.FromValues(values), totalSteps: 10, phase: 1);
        var reference = new CeloReference(values, specs.Select(s => s.Shape).ToList(), 10, phase1: true);
        var p = CeloRun.Params(specs, 4);
        for (int t = 0; t < 3; t++)
        {
            var g = CeloRun.Grads(specs, 4, t);
            var before = p.Select(CeloRun.Copy).ToList();
            CeloRun.Step(opt, 1f, p, g);
            Assert.Equal(1.0, opt.LastMultiplier);
            var refDelta = reference.Step(1, before.Select(v => v.Select(x => (double)x).ToArray()).ToList(), g.Select(v => v.Select(x => (double)x).ToArray()).ToList());
            for (int k = 0; k < specs.Count; k++)
                Assert.True(CeloRun.StepError(before[k], p[k], refDelta[k]) <= 1, $"step {t}, tensor {specs[k].Name}");
        }
    }
}
