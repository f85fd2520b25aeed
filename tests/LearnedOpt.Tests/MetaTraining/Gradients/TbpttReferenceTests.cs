using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Randomness;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// The TBPTT unroll against an independent statement of the same math (<see cref="TbpttReferenceUnroll"/>):
/// the forward (meta-loss, losses, θ_T) agrees to float64 rounding, and the meta-gradient agrees
/// with central differences of the reference's meta-loss along a direction in each weight tensor
/// (h0 included; on one tape) and along random directions over all of them, with and without second-order
/// terms, with one tape and with checkpoints, on problems with several tensors and skipped tensors.
/// </summary>
[Trait("tier", "cpu")]
public class TbpttReferenceTests
{
    private const double H = 1e-6, Rel = 1e-5, Abs = 1e-9;

    // Every engine-parity case that starts from the initial state (the reference builds that state itself).
    public static TheoryData<string, bool, int> Cases()
    {
        var data = new TheoryData<string, bool, int>();
        foreach (var name in EngineParityCases.Names.Where(n => n != "carried-state"))
            foreach (bool firstOrder in new[] { false, true })
                foreach (int every in new[] { 0, 2 })
                    data.Add(name, firstOrder, every);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesTheIndependentReference(string name, bool firstOrder, int every)
    {
        var (w, problem) = EngineParityCases.Make(name);
        int steps = EngineParityCases.Steps;
        var reference = TbpttReferenceUnroll.Run(w, problem, steps);
        foreach (var result in new[] { TbpttMetaGradient.Compute(w, problem, new TbpttOptions(steps, firstOrder, every)), TbpttMetaGradient.Evaluate(w, problem, steps) })
        {
            Assert.True(double.IsFinite(result.MetaLoss));
            AssertClose(reference.MetaLoss, result.MetaLoss, "meta-loss");
            for (int t = 0; t <= steps; t++) AssertClose(reference.Losses[t], result.Losses[t], $"loss {t}");
            for (int q = 0; q < reference.FinalTheta.Length; q++)
                for (int i = 0; i < reference.FinalTheta[q].Length; i++)
                    AssertClose(reference.FinalTheta[q][i], result.FinalTheta[q][i], $"θ_T[{q}][{i}]");
        }
        Assert.True(reference.Losses[^1] < reference.Losses[0], $"the unroll should make progress: {string.Join(", ", reference.Losses)}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MetaGradientMatchesCentralDifferencesOfTheReference(string name, bool firstOrder, int every)
    {
        var (w, problem) = EngineParityCases.Make(name);
        int steps = EngineParityCases.Steps;
        var result = TbpttMetaGradient.Compute(w, problem, new TbpttOptions(steps, firstOrder, every));
        // First order: the inner gradients are constants of the weights, so the reference is fed its own unperturbed ones.
        var fixedGradients = firstOrder ? TbpttReferenceUnroll.Run(w, problem, steps).InnerGradients : null;
        double M(HrnnParameters wp) => TbpttReferenceUnroll.Run(wp, problem, steps, fixedGradients).MetaLoss;

        var rng = new Rng(7).Fork(name).Fork(firstOrder ? 1 : 0);
        // One direction inside each tensor on one tape; checkpoints change only the schedule, so random directions suffice there.
        var directions = every == 0 ? w.Layout.Select(e => (Name: e.Name, U: Direction(w, rng, e.Name))).ToList() : [];
        for (int k = 0; k < 3; k++) directions.Add(($"random {k}", Direction(w, rng, null)));
        int visible = 0;
        foreach (var (what, u) in directions)
        {
            var plus = w.Clone();
            plus.Add(u, H);
            var minus = w.Clone();
            minus.Add(u, -H);
            double fd = (M(plus) - M(minus)) / (2 * H);
            double an = MetaGradTestData.Dot(result.Gradient, u);
            Assert.True(Math.Abs(fd - an) <= Rel * Math.Max(Math.Abs(fd), Math.Abs(an)) + Abs,
                $"{what}: TBPTT {an:R} vs central difference of the reference {fd:R} (first order: {firstOrder}, checkpoint every {every})");
            if (Math.Abs(fd) > 1e-6) visible++;
        }
        Assert.True(visible > directions.Count * 3 / 4, $"only {visible} of {directions.Count} directions move the meta-loss visibly");
    }

    // A unit Gaussian direction in one tensor, or in all of them (tensor null).
    private static HrnnParameters Direction(HrnnParameters w, Rng rng, string? tensor)
    {
        var u = HrnnParameters.Zeros(w.H1, w.H2);
        foreach (var (name, _) in u.Layout)
            if (tensor == null || name == tensor)
                for (int i = 0; i < u[name].Length; i++) u[name][i] = rng.NextGaussian();
        u.Add(u, 1.0 / u.Norm() - 1);
        return u;
    }

    private static void AssertClose(double expected, double actual, string what)
        => Assert.True(Math.Abs(expected - actual) <= 1e-10 * Math.Abs(expected) + 1e-13,
            $"{what}: {actual:R}, the reference {expected:R}");
}
