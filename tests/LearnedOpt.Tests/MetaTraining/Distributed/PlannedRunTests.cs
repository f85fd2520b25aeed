using LearnedOpt.Backends;
using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Distributed;
using LearnedOpt.MetaTraining.Estimators;

namespace LearnedOpt.Tests.MetaTraining.Distributed;

/// <summary>
/// The split of the per-slot environment into a planner (coordinator) and slot groups (workers):
/// a planned run equals the one-process keyed run bit for bit, also when groups lose their states.
/// </summary>
[Trait("tier", "cpu")]
public class PlannedRunTests
{
    internal static MetaTrainingConfig Keyed(string estimator, int iterations = 10) => SmallConfigs.Tiny(iterations) with
    {
        Estimator = estimator, Perturbations = PerturbationStream.Keyed, Slots = 5, SlotsPerGroup = 2, ValidateEvery = 5,
    };

    internal static LocalPairRunner Runner(MetaTrainingConfig config, IBackend backend)
        => new(config, new EpisodeExecutor(config, new EnsembleSampler(config.Ensemble, config.MaxParameters), new(config.H1, config.H2), backend));

    [Fact]
    public void ThePlannerPlansTheEpisodesOfThePerSlotEnvironment()
    {
        using var backend = new CpuBackend();
        var config = SmallConfigs.Tiny(1) with { Slots = 3, ParameterScaleMax = 4 };
        var sampler = new EnsembleSampler(config.Ensemble, config.MaxParameters);
        var env = new PerSlotUnrollEnvironment(config, sampler, new(config.H1, config.H2), backend);
        var planner = new EpisodePlanner(config, sampler);
        var executor = new EpisodeExecutor(config, sampler, new(config.H1, config.H2), backend);
        int starts = 0;
        for (int it = 0; it < 25; it++)
        {
            var expected = env.NextTruncations();
            var plan = planner.Next();
            Assert.Equal(expected, plan.Select(p => p.Truncation).ToArray());
            for (int i = 0; i < plan.Length; i++)
            {
                Assert.Equal(env.EntryIndex(i), plan[i].Episode.Entry);
                if (!plan[i].Truncation.StartsEpisode) continue;
                starts++;
                var episode = executor.Open(plan[i].Episode);
                Assert.Equal(env.Episode(i).InitialLoss, episode.InitialLoss);
                Assert.Equal(env.Episode(i).DataSeed, episode.DataSeed);
                Assert.Equal(env.InitialState(i).Values, executor.InitialState(episode).Values);
            }
        }
        Assert.True(starts > 3, $"only {starts} episodes started");
        Assert.Equal(env.EpisodesStarted, planner.EpisodesStarted);
    }

    [Theory]
    [InlineData("pes")]
    [InlineData("es")]
    public void APlannedRunEqualsTheOneProcessKeyedRun(string estimator)
    {
        using var backend = new CpuBackend();
        using var local = new TempDir();
        using var planned = new TempDir();
        var config = Keyed(estimator);
        var reference = new MetaTrainer(config, local.Path, backend);
        reference.Run(TestContext.Current.CancellationToken);
        var runner = Runner(config, backend);
        var trainer = new MetaTrainer(config, planned.Path, backend, pairRunner: runner);
        trainer.Run(TestContext.Current.CancellationToken);
        Assert.Equal(File.ReadAllBytes(local.File(MetaTrainer.FinalWeightsFile)), File.ReadAllBytes(planned.File(MetaTrainer.FinalWeightsFile)));
        Assert.Equal(MetaTrainer.ReadMetrics(local.File(MetaTrainer.MetricsFile)).Select(m => m.MetaLoss),
                     MetaTrainer.ReadMetrics(planned.File(MetaTrainer.MetricsFile)).Select(m => m.MetaLoss));
        Assert.Equal(0, runner.Replayed);
    }

    [Fact]
    public void BlowUpResetsAndScaleAugmentationMatchTheOneProcessRun()
    {
        using var backend = new CpuBackend();
        using var local = new TempDir();
        using var planned = new TempDir();
        // Weights with a high learning rate and a tight reset ratio: some episodes blow up and restart.
        var weights = local.File("fast.safetensors");
        ParameterGrowthTests.Shipped().With("readout/lr/b", [2f]).Save(weights);
        var config = Keyed("pes", 12) with { ResetNormRatio = 2, ParameterScaleMax = 10, InitWeights = weights };
        var reference = new MetaTrainer(config, local.Path, backend);
        reference.Run(TestContext.Current.CancellationToken);
        var trainer = new MetaTrainer(config, planned.Path, backend, pairRunner: Runner(config, backend));
        trainer.Run(TestContext.Current.CancellationToken);
        Assert.True(reference.EpisodesReset > 0, "no episode blew up");
        Assert.True(reference.EpisodesReset < 12 * config.Slots, "every truncation blew up");
        Assert.Equal(reference.EpisodesReset, trainer.EpisodesReset);
        Assert.Equal(reference.Phi, trainer.Phi);
    }

    /// <summary>Drops a slot group's states before chosen iterations, as a worker killed mid-run would.</summary>
    private sealed class ForgetfulRunner(LocalPairRunner inner, params (long Iteration, int Group)[] losses) : IPairRunner
    {
        public PairResult[] Run(long iteration, IReadOnlyList<SlotWork> work, IPhiVersions phis, CancellationToken cancel)
        {
            foreach (var (it, g) in losses) if (it == iteration) inner.Forget(g);
            return inner.Run(iteration, work, phis, cancel);
        }
    }

    [Theory]
    [InlineData("pes")]
    [InlineData("es")]
    public void LostGroupsReplayTheirEpisodesAndLoseNothing(string estimator)
    {
        using var backend = new CpuBackend();
        using var local = new TempDir();
        using var planned = new TempDir();
        var config = Keyed(estimator, 12);
        var reference = new MetaTrainer(config, local.Path, backend);
        reference.Run(TestContext.Current.CancellationToken);
        var inner = Runner(config, backend);
        var trainer = new MetaTrainer(config, planned.Path, backend, pairRunner: new ForgetfulRunner(inner, (4, 1), (7, 0), (7, 2), (11, 1)));
        trainer.Run(TestContext.Current.CancellationToken);
        Assert.True(inner.Replayed > 0);
        Assert.Equal(reference.Phi, trainer.Phi);
        Assert.Equal(12, MetaTrainer.ReadMetrics(planned.File(MetaTrainer.MetricsFile)).Count(m => m.Iteration > 0));
    }

    [Fact]
    public void RestartOnWorkerLossStartsNewEpisodesInstead()
    {
        using var backend = new CpuBackend();
        using var local = new TempDir();
        using var planned = new TempDir();
        var config = Keyed("pes", 12) with { OnWorkerLoss = MetaTrainingConfig.RestartOnWorkerLoss };
        var reference = new MetaTrainer(config, local.Path, backend);
        reference.Run(TestContext.Current.CancellationToken);
        var inner = Runner(config, backend);
        var trainer = new MetaTrainer(config, planned.Path, backend, pairRunner: new ForgetfulRunner(inner, (4, 1)));
        trainer.Run(TestContext.Current.CancellationToken);
        var estimator = Assert.IsType<PlannedEstimator>(trainer.Estimator);
        Assert.Equal(0, inner.Replayed);
        Assert.True(estimator.SlotsLost > 0);
        Assert.NotEqual(reference.Phi, trainer.Phi);
        Assert.All(trainer.Phi, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void APlannedRunResumesFromItsCheckpointWithFreshWorkers()
    {
        using var backend = new CpuBackend();
        using var straight = new TempDir();
        using var resumed = new TempDir();
        var config = Keyed("pes", 10);
        var full = new MetaTrainer(config, straight.Path, backend, pairRunner: Runner(config, backend));
        full.Run(TestContext.Current.CancellationToken);
        new MetaTrainer(config with { MetaIterations = 5 }, resumed.Path, backend, pairRunner: Runner(config, backend)).Run(TestContext.Current.CancellationToken);
        var fresh = Runner(config, backend);
        var second = new MetaTrainer(config, resumed.Path, backend, pairRunner: fresh);
        Assert.True(second.Resume());
        second.Run(TestContext.Current.CancellationToken);
        Assert.Equal(full.Phi, second.Phi);
        Assert.True(fresh.Replayed > 0, "the resumed workers rebuilt their episodes by replay");
    }

    [Fact]
    public void ARetriedCallIsIdempotentAndAStaleOneIsRefused()
    {
        using var backend = new CpuBackend();
        var config = Keyed("pes");
        var sampler = new EnsembleSampler(config.Ensemble, config.MaxParameters);
        var planner = new EpisodePlanner(config, sampler);
        var executor = new EpisodeExecutor(config, sampler, new(config.H1, config.H2), backend);
        var phi = new HrnnParameterVector(config.H1, config.H2).Flatten(LearnedOpt.Optimizers.Hrnn.HrnnWeightInit.Create(0, config.H1, config.H2));
        float[] PhiOf(long version) => phi;
        var history = new List<TruncationRecord>();
        var works = new GroupWork[3];
        for (int k = 1; k <= 3; k++)
        {
            var plan = planner.Next();
            works[k - 1] = new GroupWork(k, [new SlotWork(0, plan[0].Episode, [.. history], plan[0].Truncation)]);
            history.Add(new TruncationRecord(k, plan[0].Truncation));
        }
        var once = new SlotGroupExecutor(config, executor);
        var twice = new SlotGroupExecutor(config, executor);
        var first = once.Run(works[0], PhiOf, 1);
        Assert.Equal(first, twice.Run(works[0], PhiOf, 1));
        Assert.Same(twice.Run(works[0], PhiOf, 1), twice.Run(works[0], PhiOf, 1));
        // Had the retry run again, the state would be one truncation ahead and the next results would differ.
        Assert.Equal(once.Run(works[1], PhiOf, 1), twice.Run(works[1], PhiOf, 1));
        Assert.Equal(0, twice.Replayed);
        var stale = Assert.Throws<StaleWorkException>(() => twice.Run(works[0], PhiOf, 1));
        Assert.Contains("meta-iteration 1", stale.Message);
    }
}
