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

    [Fact]
    public void DataTasksAreScoredByTheWholeTrainLossAndRunsRecordDivergenceAndSpikes()
    {
        // logistic-10 trains on minibatches; its score is the full-data loss after the last step.
        var member = HeldOutSuite.Members.Single(m => m.Task == "logistic-10");
        var entry = TaskRegistry.Get(member.Task);
        var result = new HeldOutEvaluator(new CpuBackend(), HrnnWeightInit.Create(3)) { Seeds = 2, TuningSeeds = 1, Steps = 20 }.Evaluate(member);
        var adam = result.Optimizers.Single(o => o.Optimizer == "adam");
        var seeds = HeldOutSuite.Seeds(member.Task, 2);
        for (int s = 0; s < seeds.Length; s++)
        {
            var task = entry.Build(seeds[s]);
            Assert.True(task.BatchSize > 0);
            using var opt = new HandDesignedOptimizer(OptimizerKind.Adam, new CpuBackend(), task.Parameters,
                HyperParameters.Defaults(OptimizerKind.Adam) with { Lr = (float)adam.LearningRate!.Value });
            var run = TaskTrainer.Run(task, opt, seeds[s], 20);
            double final = task.Loss(run.FinalTheta, null);
            Assert.Equal(Math.Log10(final), adam.FinalLog10[s], 12);
            Assert.NotEqual(run.StepLosses.Skip(10).Average(), final); // not the minibatch mean it replaced
            double initial = task.Loss(TaskTrainer.InitialTheta(task, seeds[s]), null);
            Assert.Equal(final > initial, adam.Diverged![s]);
            Assert.Equal(RunHealth.CountSpikes(run.StepLosses), adam.Spikes![s]);
        }
        Assert.All(result.Optimizers, o => Assert.Equal(2, o.Diverged!.Length));
    }

    [Fact]
    public void AnOversizedLearningRateDivergesOnEverySeedAndAStableOneOnNone()
    {
        // On the L2O quadratic, SGD with momentum at lr 10 blows up; Adam at 1e-3 only moves downhill.
        var blowUp = new HeldOutEvaluator(new CpuBackend(), HrnnWeightInit.Create(3)) { Seeds = 3, TuningSeeds = 1, Steps = 30, Grid = [10] }.Evaluate(L2o);
        Assert.Equal(3, blowUp.Optimizers.Single(o => o.Optimizer == "sgd-momentum").DivergedSeeds);
        var calm = new HeldOutEvaluator(new CpuBackend(), HrnnWeightInit.Create(3)) { Seeds = 3, TuningSeeds = 1, Steps = 30, Grid = [1e-3] }.Evaluate(L2o);
        var adam = calm.Optimizers.Single(o => o.Optimizer == "adam");
        Assert.Equal(0, adam.DivergedSeeds);
        Assert.Equal(0, adam.TotalSpikes);
    }

    [Fact]
    public void ADivergedHrnnSeedIsALossWhateverTheMeansSay()
    {
        double[] hrnn = [-2.0, -2.1, -1.9], baseline = [-1.0, -1.1, -0.9];
        OptimizerResult Hrnn(bool[] diverged) => new("hrnn", null, hrnn, [], diverged, [0, 0, 0]);
        var adam = new OptimizerResult("adam", 1e-3, baseline, [], [true, true, true], [5, 0, 0]);
        Assert.Equal(Verdict.Win, new TaskResult("t", "g", 10, [Hrnn([false, false, false]), adam]).Verdict); // a diverged baseline does not change it
        Assert.Equal(Verdict.Loss, new TaskResult("t", "g", 10, [Hrnn([false, true, false]), adam]).Verdict);
        Assert.Equal(1, Hrnn([false, true, false]).DivergedSeeds);
        Assert.Equal(5, adam.TotalSpikes);
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
