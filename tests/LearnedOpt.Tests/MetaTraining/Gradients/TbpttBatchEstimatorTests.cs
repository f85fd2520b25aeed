using LearnedOpt.Backends;
using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Estimators;
using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// The TBPTT estimator, which now runs all slots of a meta-iteration as one lock-step batch, gives
/// the bits of the estimator as it was (each slot its own unroll on parallel threads; a frozen copy
/// of its Estimate below) on a fixed seed, over calls that carry θ and state and start new episodes.
/// </summary>
[Trait("tier", "cpu")]
public class TbpttBatchEstimatorTests
{
    [Fact]
    public void BatchedEstimatorEqualsThePerSlotEstimatorBitForBit()
    {
        using var host = new CpuBackend();
        // Short truncations in short episodes: the calls include carried states, new episodes and (at an
        // episode's end) slots of different T in one batch.
        var cfg = SmallConfigs.Tiny(3) with { Estimator = "tbptt", MaxParameters = 400 };
        (HrnnUnrollEnvironment Env, HrnnParameterVector Vector) Make()
        {
            var vector = new HrnnParameterVector(cfg.H1, cfg.H2);
            return (new HrnnUnrollEnvironment(cfg, new EnsembleSampler(cfg.Ensemble, cfg.MaxParameters), vector, host), vector);
        }
        var (envA, vecA) = Make();
        var (envB, vecB) = Make();
        var batched = new TbpttEstimator(envA, vecA, threads: 2);
        var legacy = new PerSlotEstimator(envB, vecB, threads: 2);
        var phi = new HrnnParameterVector(cfg.H1, cfg.H2).Flatten(HrnnWeightInit.Create(cfg.InitSeed, cfg.H1, cfg.H2));
        for (int it = 0; it < 6; it++)
        {
            var (a, b) = (legacy.Estimate(phi), batched.Estimate(phi));
            Assert.Equal(a.InnerSteps, b.InnerSteps);
            Assert.Equal(BitConverter.DoubleToInt64Bits(a.MetaLoss), BitConverter.DoubleToInt64Bits(b.MetaLoss));
            Assert.Equal(a.Gradient.Select(BitConverter.SingleToInt32Bits), b.Gradient.Select(BitConverter.SingleToInt32Bits));
            Assert.Contains(b.Gradient, v => v != 0);
            // A slightly different φ each call, so later calls are not a repeat of the first.
            for (int i = 0; i < phi.Length; i++) phi[i] -= 1e-3f * a.Gradient[i];
        }
        // Some slot finished its episode and started another within the calls.
        Assert.True(envA.EpisodesStarted > envA.Slots, $"{envA.EpisodesStarted} episodes");
    }

    // The estimator's Estimate before the lock-step batch (frozen copy): one TbpttMetaGradient.Compute per slot, in parallel.
    private sealed class PerSlotEstimator(HrnnUnrollEnvironment env, HrnnParameterVector vector, int threads)
    {
        private readonly double[]?[] _theta = new double[]?[env.Slots];
        private readonly HrnnUnrollState?[] _state = new HrnnUnrollState?[env.Slots];

        public MetaGradientEstimate Estimate(float[] phi)
        {
            var plan = env.NextTruncations();
            int n = env.Slots;
            for (int i = 0; i < n; i++)
            {
                if (!plan[i].StartsEpisode && _theta[i] != null) continue;
                _theta[i] = Array.ConvertAll(env.InitialState(i).Values, v => (double)v);
                _state[i] = null;
            }
            var w = HrnnParameters.FromWeights(vector.ToWeights(phi));
            var results = new TbpttResult[n];
            Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
            {
                var (task, f0, dataSeed) = env.Episode(i);
                var problem = TrainingOracle.Problem(task, task.Split(_theta[i]), f0, dataSeed, plan[i].StartStep, _state[i]);
                results[i] = TbpttMetaGradient.Compute(w, problem, new TbpttOptions(plan[i].Steps));
            });
            var g = new double[phi.Length];
            double loss = 0;
            long steps = 0;
            for (int i = 0; i < n; i++)
            {
                var r = results[i];
                int offset = 0;
                foreach (var (name, _) in r.Gradient.Layout)
                {
                    var part = r.Gradient[name];
                    for (int j = 0; j < part.Length; j++) g[offset + j] += part[j] / n;
                    offset += part.Length;
                }
                loss += (double.IsFinite(r.MetaLoss) ? r.MetaLoss : 0) / n;
                steps += plan[i].Steps;
                _theta[i] = r.FinalTheta.SelectMany(t => t).ToArray();
                _state[i] = r.FinalState;
            }
            return new MetaGradientEstimate(Array.ConvertAll(g, v => (float)v), loss, steps);
        }
    }
}
