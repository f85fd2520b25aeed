using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Estimators;

namespace LearnedOpt.Tests.MetaTraining;

/// <summary>
/// The influence-balancing problem of Vicol et al. 2021, docs/meta-training.md: short truncations see a sensitivity of
/// the wrong sign, so truncated methods move θ away from the long-horizon optimum θ* = −1/6; PES
/// (never reset, K = 1) reaches it.
/// </summary>
[Trait("tier", "cpu")]
public class InfluenceBalancingTests
{
    private const int N = 23;

    // s ← A s + θ v with A = ½I + ½·superdiagonal ones, v = (+1 ×10, −1 ×13).
    private static void Step(float[] s, float theta)
    {
        for (int i = 0; i < N; i++)
        {
            float next = i + 1 < N ? s[i + 1] : 0f;
            s[i] = 0.5f * s[i] + 0.5f * next + theta * (i < 10 ? 1f : -1f);
        }
    }

    private static ToyEnvironment Problem(int slots) => new(slots, 1, () => Enumerable.Repeat(1f, N).ToArray(), (s, f) => Step(s, f[0]),
        (s, _) => 0.5 * (s[0] - 1.0) * (s[0] - 1.0), truncation: 1, episode: null);

    [Fact]
    public void TruncatedSensitivityHasTheTabulatedValues()
    {
        // S_K = Σ_{k<K} (A^k v)₀.
        var expected = new Dictionary<int, double> { [1] = 1, [5] = 5, [10] = 10, [20] = 16.48, [40] = 0.57, [50] = -4.75, [100] = -6.00 };
        foreach (var (k, value) in expected)
        {
            var a = Enumerable.Range(0, N).Select(i => i < 10 ? 1.0 : -1.0).ToArray();
            double sum = 0;
            for (int j = 0; j < k; j++)
            {
                sum += a[0];
                for (int i = 0; i < N; i++) a[i] = 0.5 * a[i] + 0.5 * (i + 1 < N ? a[i + 1] : 0);
            }
            Assert.True(Math.Abs(sum - value) < 0.006, $"S_{k} = {sum}, expected {value}");
        }
    }

    private static float Train(IMetaGradientEstimator est, int iterations)
    {
        float[] theta = [0.5f];
        for (int it = 0; it < iterations; it++)
        {
            var g = est.Estimate(theta).Gradient;
            theta[0] -= 1e-4f * g[0];
        }
        return theta[0];
    }

    [Fact]
    public void PesReachesTheLongHorizonOptimum()
    {
        float theta = Train(new PesEstimator(Problem(1000), sigma: 0.1, seed: 11, threads: 2), 3000);
        Assert.True(Math.Abs(theta + 1.0 / 6) < 0.01, $"PES θ = {theta}, expected −1/6");
    }

    [Fact]
    public void TruncatedEsMovesAwayFromTheOptimum()
    {
        float theta = Train(new EsEstimator(Problem(1000), sigma: 0.1, seed: 11, threads: 2), 3000);
        Assert.True(theta > 0.5f, $"truncated ES θ = {theta}: expected it to move away from −1/6 (start 0.5)");
    }
}
