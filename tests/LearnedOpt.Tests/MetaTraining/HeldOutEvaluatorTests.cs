using LearnedOpt.Backends;
using LearnedOpt.MetaTraining.Evaluation;
using LearnedOpt.Optimizers;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tasks;
using LearnedOpt.Training;

namespace LearnedOpt.Tests.MetaTraining;

[Trait("tier", "cpu")]
public class HeldOutEvaluatorTests
{
    private static readonly HeldOutSuite.Member L2o = HeldOutSuite.Members.Single(m => m.Task == "l2o-quadratic");

    private static TaskResult Evaluate(int threads) => new HeldOutEvaluator(new CpuBackend(), HrnnWeightInit.Create(3))
    {
        Seeds = 3, TuningSeeds = 1, Steps = 30, Threads = threads,
    }.Evaluate(L2o);

    [Fact]
    public void L2oQuadraticMetricIsTheMeanFinalLog10LossOfIndependentRuns()
    {
        var result = Evaluate(threads: 2);
        var adam = result.Optimizers.Single(o => o.Optimizer == "adam");
        Assert.Contains(adam.LearningRate!.Value, HeldOutEvaluator.DefaultGrid);
        // Recompute by hand: Adam at the tuned rate on each evaluation seed, log10 of the exact final loss.
        var seeds = HeldOutSuite.Seeds("l2o-quadratic", 3);
        for (int s = 0; s < seeds.Length; s++)
        {
            var task = new L2oQuadraticTask(seeds[s]);
            using var opt = new HandDesignedOptimizer(OptimizerKind.Adam, new CpuBackend(), task.Parameters,
                HyperParameters.Defaults(OptimizerKind.Adam) with { Lr = (float)adam.LearningRate.Value });
            var run = TaskTrainer.Run(task, opt, seeds[s], 30);
            Assert.Equal(Math.Log10(task.Loss(run.FinalTheta, null)), adam.FinalLog10[s], 12);
        }
        Assert.Equal(adam.FinalLog10.Average(), adam.Mean, 12);
    }

    [Fact]
    public void TuningPicksARateThatBeatsTheGridExtremesAndResultsDoNotDependOnThreads()
    {
        var a = Evaluate(threads: 1);
        var b = Evaluate(threads: 2);
        foreach (var (x, y) in a.Optimizers.Zip(b.Optimizers))
        {
            Assert.Equal(x.FinalLog10, y.FinalLog10);
            Assert.Equal(x.LearningRate, y.LearningRate);
        }
        // On a 30-step quadratic from a tiny init, the smallest rate barely moves: tuning must do better.
        var adam = a.Optimizers.Single(o => o.Optimizer == "adam");
        var slow = new HeldOutEvaluator(new CpuBackend(), HrnnWeightInit.Create(3)) { Seeds = 3, TuningSeeds = 1, Steps = 30, Grid = [1e-4] }.Evaluate(L2o);
        Assert.True(adam.Mean < slow.Optimizers.Single(o => o.Optimizer == "adam").Mean - 0.1);
    }

    [Fact]
    public void EvaluationAndTuningSeedsAreHeldOutAndDisjoint()
    {
        var eval = HeldOutSuite.Seeds("l2o-quadratic", 10);
        var tune = HeldOutSuite.Seeds("l2o-quadratic/tuning", 10);
        Assert.Empty(eval.Intersect(tune));
        Assert.All(eval.Concat(tune), s => Assert.True(HeldOutSuite.IsHeldOutSeed(s)));
    }

    [Theory]
    [InlineData(new[] { -2.0, -2.1, -1.9 }, new[] { -1.0, -1.1, -0.9 }, Verdict.Win)]
    [InlineData(new[] { -1.0, -1.1, -0.9 }, new[] { -2.0, -2.1, -1.9 }, Verdict.Loss)]
    [InlineData(new[] { -1.0, -1.5, -0.5 }, new[] { -1.1, -1.4, -0.6 }, Verdict.Tie)]
    public void VerdictUsesTwoStandardErrors(double[] hrnn, double[] baseline, Verdict expected)
    {
        var r = new TaskResult("t", "g", 10, [new OptimizerResult("hrnn", null, hrnn, []), new OptimizerResult("adam", 1e-3, baseline, []),
                                               new OptimizerResult("rmsprop", 1e-3, baseline.Select(v => v + 5).ToArray(), [])]);
        Assert.Equal("adam", r.BestBaseline!.Optimizer);
        Assert.Equal(expected, r.Verdict);
    }
}
