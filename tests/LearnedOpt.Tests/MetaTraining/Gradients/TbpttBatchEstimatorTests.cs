using LearnedOpt.Backends;
using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Estimators;
using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Randomness;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// The TBPTT estimator over calls that carry θ and state between truncations and start new episodes:
/// its meta-gradient agrees with central differences of its own meta-loss along random directions
/// in φ at every call (carried state held fixed, as truncation defines it); its estimate is the
/// mean over slots of each slot's truncation computed alone from the θ and state it carried; and
/// consecutive truncations of a slot continue one unroll.
/// </summary>
[Trait("tier", "cpu")]
public class TbpttBatchEstimatorTests
{
    // Short truncations in short episodes: the calls include carried states, new episodes and (at an
    // episode's end) slots of different T in one batch.
    private static readonly MetaTrainingConfig Config = SmallConfigs.Tiny(3) with { Estimator = "tbptt", MaxParameters = 400 };
    private const int Calls = 4;

    private sealed class Run : IDisposable
    {
        private readonly CpuBackend _host = new();
        public readonly PerSlotUnrollEnvironment Env;
        public readonly HrnnParameterVector Vector;
        public readonly TbpttEstimator Estimator;

        public Run()
        {
            Vector = new HrnnParameterVector(Config.H1, Config.H2);
            Env = new PerSlotUnrollEnvironment(Config, new EnsembleSampler(Config.Ensemble, Config.MaxParameters), Vector, _host);
            Estimator = new TbpttEstimator(Env, Vector, threads: 2);
        }

        public void Dispose() => _host.Dispose();
    }

    // φ at each call: the initial weights, moved a little differently each call so later calls are no repeat of the first.
    private static float[][] PhiSequence()
    {
        var vector = new HrnnParameterVector(Config.H1, Config.H2);
        var phi0 = vector.Flatten(HrnnWeightInit.Create(Config.InitSeed, Config.H1, Config.H2));
        var rng = new Rng(5).Fork("phi");
        return Enumerable.Range(0, Calls).Select(k => k == 0 ? phi0 : phi0.Select(v => v + (float)(1e-3 * rng.NextGaussian())).ToArray()).ToArray();
    }

    [Fact]
    public void MetaGradientMatchesCentralDifferencesOfTheMetaLossAtEveryCall()
    {
        var phis = PhiSequence();
        using var run = new Run();
        var estimates = phis.Select(run.Estimator.Estimate).ToArray();
        Assert.True(run.Env.EpisodesStarted > run.Env.Slots, $"{run.Env.EpisodesStarted} episodes: no slot started a second episode");

        var rng = new Rng(11).Fork("directions");
        const double h = 1e-3;
        for (int call = 0; call < Calls; call++)
        {
            Assert.Contains(estimates[call].Gradient, v => v != 0);
            for (int dir = 0; dir < 2; dir++)
            {
                // The first direction leans on the estimate (random directions in φ move the meta-loss little).
                var g = estimates[call].Gradient;
                double gNorm = Math.Sqrt(g.Sum(v => (double)v * v));
                var u = Enumerable.Range(0, phis[call].Length).Select(i => rng.NextGaussian() / Math.Sqrt(g.Length) + (dir == 0 ? g[i] / gNorm : 0)).ToArray();
                double norm = Math.Sqrt(u.Sum(v => v * v));
                var plus = phis[call].Select((v, i) => (float)(v + h * u[i] / norm)).ToArray();
                var minus = phis[call].Select((v, i) => (float)(v - h * u[i] / norm)).ToArray();
                // The gradient along the step actually taken in float32.
                double an = 0;
                for (int i = 0; i < plus.Length; i++) an += estimates[call].Gradient[i] * ((double)plus[i] - minus[i]);
                double fd = MetaLossAt(phis, call, plus) - MetaLossAt(phis, call, minus);
                Assert.True(Math.Abs(fd - an) <= 1e-4 * Math.Max(Math.Abs(fd), Math.Abs(an)) + 1e-12,
                    $"call {call}, direction {dir}: estimator {an:R} vs central difference {fd:R}");
                if (dir == 0) Assert.True(Math.Abs(fd) > 1e-8, $"call {call}: the meta-loss barely moves along the estimate ({fd:R})");
            }
        }
    }

    // The meta-loss of call 'call' at φ, after the earlier calls at their own φ (the carried state is a constant of this call's φ).
    private static double MetaLossAt(float[][] phis, int call, float[] phi)
    {
        using var run = new Run();
        for (int k = 0; k < call; k++) run.Estimator.Estimate(phis[k]);
        return run.Estimator.Estimate(phi).MetaLoss;
    }

    [Fact]
    public void EstimateIsTheMeanOfEachSlotComputedAloneFromWhatItCarried()
    {
        var phis = PhiSequence();
        using var run = new Run();
        using var twin = new Run();   // the same plans and episodes, drawn call for call
        for (int call = 0; call < Calls; call++)
        {
            var carried = new StateBag();
            run.Estimator.Save(carried, "");
            var estimate = run.Estimator.Estimate(phis[call]);
            var plan = twin.Env.NextTruncations();
            var w = HrnnParameters.FromWeights(twin.Vector.ToWeights(phis[call]));
            int n = twin.Env.Slots;
            var g = new double[phis[call].Length];
            double loss = 0;
            long steps = 0;
            for (int i = 0; i < n; i++)
            {
                var (task, f0, dataSeed) = twin.Env.Episode(i);
                bool fresh = plan[i].StartsEpisode || !carried.Contains($"slot{i}/theta");
                var theta = fresh ? Array.ConvertAll(twin.Env.InitialState(i).Values, v => (double)v) : carried.GetDoubles($"slot{i}/theta");
                var state = fresh ? null : CarriedState(carried, i, w);
                var alone = TbpttMetaGradient.Compute(w, TrainingOracle.Problem(task, task.Split(theta), f0, dataSeed, plan[i].StartStep, state),
                                                      new TbpttOptions(plan[i].Steps));
                var flat = alone.Gradient.Layout.SelectMany(e => alone.Gradient[e.Name]).ToArray();
                for (int j = 0; j < g.Length; j++) g[j] += flat[j] / n;
                loss += (double.IsFinite(alone.MetaLoss) ? alone.MetaLoss : 0) / n;
                steps += plan[i].Steps;
            }
            Assert.Equal(steps, estimate.InnerSteps);
            Assert.Equal(BitConverter.DoubleToInt64Bits(loss), BitConverter.DoubleToInt64Bits(estimate.MetaLoss));
            Assert.Equal(g.Select(v => BitConverter.SingleToInt32Bits((float)v)), estimate.Gradient.Select(BitConverter.SingleToInt32Bits));
        }
        Assert.True(run.Env.EpisodesStarted > run.Env.Slots, $"{run.Env.EpisodesStarted} episodes");
    }

    [Fact]
    public void ConsecutiveTruncationsOfASlotContinueOneUnroll()
    {
        // One φ throughout, so that the truncations of an episode are pieces of one unroll at that φ.
        var phi = PhiSequence()[0];
        using var run = new Run();
        using var twin = new Run();
        var w = HrnnParameters.FromWeights(twin.Vector.ToWeights(phi));
        var sinceStart = new long[twin.Env.Slots];
        int checkedSlots = 0;
        for (int call = 0; call < Calls; call++)
        {
            run.Estimator.Estimate(phi);
            var plan = twin.Env.NextTruncations();
            var after = new StateBag();
            run.Estimator.Save(after, "");
            for (int i = 0; i < plan.Length; i++)
            {
                sinceStart[i] = plan[i].StartsEpisode ? plan[i].Steps : sinceStart[i] + plan[i].Steps;
                if (plan[i].StartsEpisode || plan[i].StartStep + plan[i].Steps != sinceStart[i]) continue;
                // A slot in the middle of its episode: θ now is the one unroll from the episode's start.
                var (task, f0, dataSeed) = twin.Env.Episode(i);
                var theta0 = Array.ConvertAll(twin.Env.InitialState(i).Values, v => (double)v);
                var whole = TbpttMetaGradient.Evaluate(w, TrainingOracle.Problem(task, task.Split(theta0), f0, dataSeed, 0), (int)sinceStart[i]);
                Assert.Equal(whole.FinalTheta.SelectMany(t => t).Select(BitConverter.DoubleToInt64Bits),
                             after.GetDoubles($"slot{i}/theta").Select(BitConverter.DoubleToInt64Bits));
                checkedSlots++;
            }
        }
        Assert.True(checkedSlots > 0, "no slot carried a truncation into the next call");
    }

    private static TbpttHrnnState CarriedState(StateBag bag, int slot, HrnnParameters w)
    {
        var lengths = bag.GetLongs($"slot{slot}/lengths").Select(l => checked((int)l)).ToArray();
        var s = new TbpttHrnnState(lengths, w.H1, w.H2);
        for (int t = 0; t < lengths.Length; t++)
        {
            bag.GetDoubles($"slot{slot}/coords{t}", s.Coords[t].Length).CopyTo(s.Coords[t], 0);
            bag.GetDoubles($"slot{slot}/sk{t}", w.H1).CopyTo(s.Sk[t], 0);
        }
        bag.GetDoubles($"slot{slot}/g", w.H2).CopyTo(s.G, 0);
        return s;
    }
}
