using LearnedOpt.Backends;
using LearnedOpt.Optimizers.Celo;

namespace LearnedOpt.Tests.Celo;

/// <summary>
/// The worked numbers of the published description with Celo's released weights (read from the
/// path in LOPT_CELO_THETA; skipped with the reason when it is unset).
/// </summary>
[Trait("tier", "cpu")]
public class CeloReleasedWeightsTests
{
    private static readonly float[] Losses = [2.3f, 2.1f, 1.9f, 1.8f, 1.75f];
    private static readonly double[] Multipliers = [0.443601, 0.902280, 1.306288, 1.833070, 2.008754];
    private static readonly double[] FirstDelta = [2.438290e-3, -3.005511e-4, -2.019134e-3, 2.420284e-3, 2.576884e-3, 2.400257e-3];
    private static readonly float[] P = [0.5f, -0.5f, 0.25f, 0.1f, 0.2f, -0.3f];
    private static readonly float[] G = [1, 0, -1, 2, 2, 2];

    [Fact]
    public void SchedulerAndFirstStepMatchTheWorkedNumbers()
    {
        var weights = CeloConverter.ConvertFile(CeloTestData.RequireReleasedTheta());
        using var backend = new CpuBackend();
        using var opt = CeloRun.Create(backend, [new("w", [2, 3])], weights, totalSteps: 1000);
        var p = new List<float[]> { CeloRun.Copy(P) };
        for (int t = 0; t < Losses.Length; t++)
        {
            var before = CeloRun.Copy(p[0]);
            CeloRun.Step(opt, Losses[t], p, [CeloRun.Copy(G)]);
            Assert.True(Math.Abs(opt.LastMultiplier - Multipliers[t]) <= 1e-5 * Multipliers[t], $"step {t}: s = {opt.LastMultiplier}, expected {Multipliers[t]}");
            if (t == 0)
            {
                var delta = before.Zip(p[0], (a, b) => (double)a - b).ToList();
                Assert.True(CeloRun.StepError(before, p[0], FirstDelta) <= 1, $"Δ = [{string.Join(", ", delta.Select(d => d.ToString("e6")))}]");
            }
        }
    }

    [Fact]
    public void ReferenceMatchesTheWorkedNumbers()
    {
        var weights = CeloConverter.ConvertFile(CeloTestData.RequireReleasedTheta());
        var values = CeloWeights.Layout.ToDictionary(e => e.Name, e => weights.Get(e.Name));
        var r = new CeloReference(values, [[2, 3]], 1000);
        var delta = r.Step(Losses[0], [P.Select(x => (double)x).ToArray()], [G.Select(x => (double)x).ToArray()]);
        Assert.Equal(Multipliers[0], r.LastMultiplier, 6);
        Assert.True(CeloRun.RelativeToScale(delta[0], FirstDelta) <= 2e-6);
        for (int t = 1; t < Losses.Length; t++)
        {
            r.Step(Losses[t], [P.Select(x => (double)x).ToArray()], [G.Select(x => (double)x).ToArray()]);
            Assert.Equal(Multipliers[t], r.LastMultiplier, 5);
        }
    }
}
