using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Randomness;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// TBPTT meta-gradients against central differences of the meta-objective (float64): a few random
/// entries of EVERY weight tensor (h0 included) plus random directions, with and without
/// second-order terms. First order is differenced while feeding the recorded inner gradients.
/// </summary>
[Trait("tier", "cpu")]
public class TbpttFiniteDifferenceTests
{
    private const double H = 1e-6, Rel = 1e-5, Abs = 1e-9;

    public static TheoryData<int[], int, bool, int, int> Cases => new()
    {
        { new[] { 3, 5 }, 4, false, 3, 2 },
        { new[] { 3, 5 }, 4, true, 3, 2 },
        { new[] { 2, 1, 4 }, 6, false, 2, 3 },
        { new[] { 2, 1, 4 }, 3, true, 4, 1 },
        { new[] { 8 }, 5, false, 3, 2 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesCentralDifferencesForEveryTensor(int[] lengths, int steps, bool firstOrder, int h1, int h2)
    {
        ulong seed = (ulong)(lengths.Sum() * 31 + steps * 7 + (firstOrder ? 1 : 0) + h1);
        var task = new QuarticLeastSquaresTask(lengths, seed);
        var w = MetaGradTestData.Weights(seed, h1, h2);
        var problem = MetaGradTestData.Problem(task, seed);
        var result = TbpttMetaGradient.Compute(w, problem, new TbpttOptions(steps, firstOrder));
        Assert.True(double.IsFinite(result.MetaLoss));
        Assert.True(result.Losses[^1] < 0.99 * result.Losses[0], $"the unroll should make progress: {string.Join(", ", result.Losses)}");

        // First order: the inner gradients are constants, so difference with the recorded ones.
        if (firstOrder)
        {
            var recorded = result.InnerGradients;
            problem = problem with { Oracle = (t, _, g) => { for (int q = 0; q < g.Length; q++) recorded[t][q].CopyTo(g[q], 0); } };
        }
        double M(HrnnParameters wp) => TbpttMetaGradient.Evaluate(wp, problem, steps).MetaLoss;

        var rng = new Rng(seed).Fork("fd");
        int checkedEntries = 0, nonZero = 0;
        foreach (var (name, _) in w.Layout)
        {
            int count = w[name].Length;
            foreach (int i in Enumerable.Range(0, 3).Select(_ => rng.NextInt(count)).Distinct())
            {
                double fd = Difference(w, M, wp => wp[name][i] += 1);
                double an = result.Gradient[name][i];
                Assert.True(Math.Abs(fd - an) <= Rel * Math.Max(Math.Abs(fd), Math.Abs(an)) + Abs,
                    $"{name}[{i}]: TBPTT {an:R} vs central difference {fd:R} (first order: {firstOrder})");
                checkedEntries++;
                if (Math.Abs(an) > 1e-7) nonZero++;
            }
        }
        Assert.True(nonZero > checkedEntries / 2, $"only {nonZero} of {checkedEntries} checked entries have a visible gradient");

        for (int dir = 0; dir < 3; dir++)
        {
            var u = HrnnParameters.Zeros(w.H1, w.H2);
            foreach (var (name, _) in u.Layout)
                for (int i = 0; i < u[name].Length; i++) u[name][i] = rng.NextGaussian();
            u.Add(u, 1.0 / u.Norm() - 1);
            double fd = Difference(w, M, wp => wp.Add(u));
            double an = MetaGradTestData.Dot(result.Gradient, u);
            Assert.True(Math.Abs(fd - an) <= Rel * Math.Max(Math.Abs(fd), Math.Abs(an)) + Abs,
                $"direction {dir}: TBPTT {an:R} vs central difference {fd:R} (first order: {firstOrder})");
        }
    }

    // Central difference along the perturbation that 'move' applies with unit size (scaled by ±H).
    private static double Difference(HrnnParameters w, Func<HrnnParameters, double> m, Action<HrnnParameters> move)
    {
        var unit = HrnnParameters.Zeros(w.H1, w.H2);
        move(unit);
        var plus = w.Clone();
        plus.Add(unit, H);
        var minus = w.Clone();
        minus.Add(unit, -H);
        return (m(plus) - m(minus)) / (2 * H);
    }
}
