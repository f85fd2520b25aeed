using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Estimators;

namespace LearnedOpt.Tests.MetaTraining;

[Trait("tier", "cpu")]
public class EstimatorUnbiasednessTests
{
    // Mean and standard error per coordinate of many gradient estimates.
    private static (double[] Mean, double[] StdErr) Average(IMetaGradientEstimator est, float[] phi, int calls, double scale)
    {
        int p = phi.Length;
        var sum = new double[p];
        var sq = new double[p];
        for (int c = 0; c < calls; c++)
        {
            var g = est.Estimate(phi).Gradient;
            for (int i = 0; i < p; i++) { sum[i] += g[i] * scale; sq[i] += g[i] * scale * g[i] * scale; }
        }
        var mean = sum.Select(s => s / calls).ToArray();
        var se = Enumerable.Range(0, p).Select(i => Math.Sqrt(Math.Max(sq[i] / calls - mean[i] * mean[i], 0) / calls)).ToArray();
        return (mean, se);
    }

    [Fact]
    public void EsMatchesTheTrueGradientOfAQuadratic()
    {
        // ℓ(φ) = ½‖φ − c‖² at every step, independent of the state: ∇ = φ − c, and Gaussian smoothing keeps it.
        float[] c = [0.3f, -1.2f, 2.0f];
        float[] phi = [1.0f, 0.5f, -0.5f];
        var env = new ToyEnvironment(400, 3, () => [0f], (_, _) => { },
            (_, f) => 0.5 * f.Select((v, i) => (double)(v - c[i]) * (v - c[i])).Sum(), truncation: 5, episode: null);
        // 400 slots × 40 calls; each call's estimate is already a mean over slots, so its spread is the per-call SE.
        var (mean, se) = Average(new EsEstimator(env, sigma: 0.05, seed: 3, threads: 2), phi, 40, 1.0);
        for (int i = 0; i < 3; i++)
        {
            double truth = phi[i] - c[i];
            Assert.True(Math.Abs(mean[i] - truth) < 5 * se[i] + 1e-3, $"coordinate {i}: ES mean {mean[i]} vs true {truth} (SE {se[i]})");
            Assert.True(se[i] < 0.1 * Math.Abs(truth) + 0.05, $"coordinate {i}: SE {se[i]} too large for a meaningful test");
        }
    }

    // s ← 0.8 s + φ₀ (per coordinate of a 1-D state), ℓ = ½(s − 1)² + ½ φ₁²: the state carries φ₀'s influence across truncations.
    private static ToyEnvironment Dynamics(int slots) => new(slots, 2, () => [0f], (s, f) => s[0] = 0.8f * s[0] + f[0],
        (s, f) => 0.5 * (s[0] - 1.0) * (s[0] - 1.0) + 0.5 * f[1] * (double)f[1], truncation: 2, episode: 6);

    private static double[] ExactEpisodeGradient(float[] phi)
    {
        var env = Dynamics(1);
        var g = new double[phi.Length];
        for (int i = 0; i < phi.Length; i++)
        {
            const float h = 1e-2f; // the objective is quadratic in φ: central differences are exact up to rounding
            var a = (float[])phi.Clone(); a[i] += h;
            var b = (float[])phi.Clone(); b[i] -= h;
            g[i] = (env.EpisodeObjective(a) - env.EpisodeObjective(b)) / (2 * h);
        }
        return g;
    }

    [Fact]
    public void PesIsUnbiasedForTheWholeEpisodeAndTruncatedEsIsNot()
    {
        float[] phi = [0.05f, 0.2f];
        var truth = ExactEpisodeGradient(phi);
        // 3 truncations per episode: the sum of one episode's expected estimates is the episode gradient, so mean × 3.
        var (pes, pesSe) = Average(new PesEstimator(Dynamics(500), sigma: 0.05, seed: 5, threads: 2), phi, 60, 3.0);
        var (es, esSe) = Average(new EsEstimator(Dynamics(500), sigma: 0.05, seed: 5, threads: 2), phi, 60, 3.0);
        for (int i = 0; i < 2; i++)
            Assert.True(Math.Abs(pes[i] - truth[i]) < 5 * pesSe[i] + 1e-3, $"PES coordinate {i}: {pes[i]} vs exact {truth[i]} (SE {pesSe[i]})");
        // φ₀'s effect through the carried state is what truncation drops: ES misses it by many standard errors.
        Assert.True(Math.Abs(es[0] - truth[0]) > 10 * esSe[0], $"truncated ES {es[0]} should be biased away from {truth[0]} (SE {esSe[0]})");
        // φ₁ acts only within each step, so there the truncated estimate is unbiased too.
        Assert.True(Math.Abs(es[1] - truth[1]) < 5 * esSe[1] + 1e-3, $"ES coordinate 1: {es[1]} vs {truth[1]}");
    }
}
