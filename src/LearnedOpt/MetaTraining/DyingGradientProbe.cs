using LearnedOpt.Backends;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.MetaTraining;

/// <summary>The probe's outcome: the largest rise of a dead coordinate's ℓ, the largest |θ| of a dead coordinate, pass/fail.</summary>
public sealed record ProbeResult(bool Passed, double MaxLogLrRise, double MaxDeadTheta, double DeadThetaAtDeath);

/// <summary>
/// The dying-gradient probe: a noisy 200-coordinate quadratic (<see cref="DyingGradientQuadraticTask.Probe"/>)
/// on which 10 % of the coordinates lose their gradient for good at step 50, unrolled 600 steps by φ.
/// Pass = no dead coordinate's log-LR rises by more than <see cref="LogLrRiseTolerance"/> between
/// step 50 and the end, and the dead coordinates' max |θ| (checked every <see cref="CheckEvery"/>
/// steps) stays within <see cref="ThetaGrowthLimit"/>× its value at step 50 (at least 1). A learned
/// optimizer whose parameter RNN latches into "raise the LR" fails it within a few hundred steps.
/// </summary>
public static class DyingGradientProbe
{
    public const int Steps = 600, DeathStep = 50, CheckEvery = 50;
    public const double LogLrRiseTolerance = 0.5, ThetaGrowthLimit = 10;

    public static ProbeResult Run(IBackend backend, HrnnWeights weights, ulong seed)
    {
        var task = DyingGradientQuadraticTask.Probe(seed, deathStep: DeathStep);
        var dead = Enumerable.Range(0, task.Size).Where(i => task.DeathSteps[i] == DeathStep).ToArray();
        var state = HrnnRollout.Initial(task, new Randomness.Rng(seed).Fork("probe-init").Seed);
        ulong dataSeed = new Randomness.Rng(seed).Fork("probe-data").Seed;
        double f0 = HrnnRollout.Loss(task, state);
        const double cap = double.MaxValue;
        HrnnRollout.Run(backend, task, weights, state, dataSeed, 0, DeathStep, f0, cap);
        var ell50 = InnerStateInspector.LogLr(backend, task, weights, state);
        double theta50 = MaxAbs(InnerStateInspector.Theta(task, state), dead);
        double maxTheta = theta50;
        for (int step = DeathStep; step < Steps; step += CheckEvery)
        {
            int k = Math.Min(CheckEvery, Steps - step);
            HrnnRollout.Run(backend, task, weights, state, dataSeed, step, k, f0, cap);
            double m = MaxAbs(InnerStateInspector.Theta(task, state), dead);
            maxTheta = double.IsNaN(m) ? double.PositiveInfinity : Math.Max(maxTheta, m);
        }
        var ell = InnerStateInspector.LogLr(backend, task, weights, state);
        double rise = double.NegativeInfinity;
        foreach (int i in dead)
        {
            double r = (double)ell[i] - ell50[i];
            rise = double.IsNaN(r) ? double.PositiveInfinity : Math.Max(rise, r);
        }
        bool passed = rise <= LogLrRiseTolerance && maxTheta <= ThetaGrowthLimit * Math.Max(1, theta50);
        return new ProbeResult(passed, rise, maxTheta, theta50);
    }

    private static double MaxAbs(ReadOnlySpan<float> theta, int[] indices)
    {
        double m = 0;
        foreach (int i in indices)
        {
            double a = Math.Abs((double)theta[i]);
            if (double.IsNaN(a)) return double.NaN;
            m = Math.Max(m, a);
        }
        return m;
    }
}
