using LearnedOpt.Backends;
using LearnedOpt.Cluster;
using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Distributed;
using LearnedOpt.Tests.MetaTraining;
using LearnedOpt.Tests.MetaTraining.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace LearnedOpt.Tests.Cluster;

/// <summary>
/// Meta-training on an in-process Orleans cluster (a coordinator silo and worker silos sharing an
/// in-memory transport): the weights equal the one-process keyed run's bit for bit, also when a
/// worker silo is killed mid-run and its slot groups replay on the others.
/// </summary>
[Trait("tier", "cpu")]
[Collection(ClusterCollection.Name)]
public class InProcessClusterTests
{
    internal static async Task<InProcessTestCluster> Deploy(int workers)
    {
        var builder = new InProcessTestClusterBuilder((short)(workers + 1));
        int configured = 0;
        builder.ConfigureSilo((options, silo) =>
        {
            // The primary silo is configured first: it is the coordinator.
            if (Interlocked.Increment(ref configured) == 1) silo.AddCoordinatorRole();
            else silo.AddWorkerRole(threads: 1);
            silo.WithFailureDetection(TimeSpan.FromSeconds(1), 2);
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    internal static IServiceProvider Coordinator(InProcessTestCluster cluster) => cluster.Silos.Single(s => s.ServiceProvider.GetService<CoordinatorRuns>() != null).ServiceProvider;

    /// <summary>Kills the worker silo that ran the most groups, before (or while) iteration <paramref name="at"/> runs.</summary>
    private sealed class KillingRunner(InProcessTestCluster cluster, ClusterPairRunner inner, long at, bool inFlight) : IPairRunner
    {
        public string? Killed;

        public PairResult[] Run(long iteration, IReadOnlyList<SlotWork> work, IPhiVersions phis, CancellationToken cancel)
        {
            if (iteration == at)
            {
                var busiest = inner.GroupsByWorker.OrderByDescending(p => p.Value).First().Key;
                var victim = cluster.Silos.Single(s => s.SiloAddress.ToString() == busiest);
                Killed = busiest;
                var kill = Task.Run(() => cluster.KillSiloAsync(victim), cancel);
                if (!inFlight) kill.GetAwaiter().GetResult();
                else _ = kill;
            }
            return inner.Run(iteration, work, phis, cancel);
        }
    }

    [Theory]
    [InlineData("pes", false)]
    [InlineData("es", true)]
    public async Task AWorkerSiloKilledMidRunLosesNoMetaStep(string estimator, bool inFlight)
    {
        using var backend = new CpuBackend();
        using var local = new TempDir();
        using var clustered = new TempDir();
        var config = PlannedRunTests.Keyed(estimator, 8) with { Slots = 6, SlotsPerGroup = 1, ValidateEvery = 8 };
        var reference = new MetaTrainer(config, local.Path, backend);
        reference.Run(TestContext.Current.CancellationToken);

        await using var cluster = await Deploy(workers: 3);
        var runner = new ClusterPairRunner(Coordinator(cluster), $"kill-{estimator}", config);
        var killing = new KillingRunner(cluster, runner, at: 4, inFlight);
        var trainer = new MetaTrainer(config, clustered.Path, backend, pairRunner: killing);
        await Task.Run(() => trainer.Run(TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);

        Assert.NotNull(killing.Killed);
        Assert.Equal(reference.Phi, trainer.Phi);
        Assert.Equal(File.ReadAllBytes(local.File(MetaTrainer.FinalWeightsFile)), File.ReadAllBytes(clustered.File(MetaTrainer.FinalWeightsFile)));
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (long)i), MetaTrainer.ReadMetrics(clustered.File(MetaTrainer.MetricsFile)).Select(m => m.Iteration));
        var planned = Assert.IsType<PlannedEstimator>(trainer.Estimator);
        Assert.True(planned.Replayed > 0, "the killed silo's slot groups replayed their episodes elsewhere");
        Assert.True(runner.GroupsByWorker.Count >= 2, "the groups were spread over several workers");
    }

    [Fact]
    public async Task ProtocolRefusesAnotherVersionAndDropsStaleWorkAndRetriesAreIdempotent()
    {
        await using var cluster = await Deploy(workers: 1);
        var coordinator = Coordinator(cluster);
        var config = PlannedRunTests.Keyed("pes") with { Slots = 2, SlotsPerGroup = 2 };
        var phi = new HrnnParameterVector(config.H1, config.H2).Flatten(LearnedOpt.Optimizers.Hrnn.HrnnWeightInit.Create(0, config.H1, config.H2));
        coordinator.GetRequiredService<CoordinatorRuns>().Register("protocol", new FixedPhi(phi));
        var planner = new EpisodePlanner(config, new EnsembleSampler(config.Ensemble, config.MaxParameters));
        var history = new List<TruncationRecord>[] { [], [] };
        var calls = new GroupCall[3];
        for (int k = 1; k <= 3; k++)
        {
            var plan = planner.Next();
            var work = new GroupWork(k, [.. Enumerable.Range(0, 2).Select(i => new SlotWork(i, plan[i].Episode, [.. history[i]], plan[i].Truncation))]);
            for (int i = 0; i < 2; i++) history[i].Add(new TruncationRecord(k, plan[i].Truncation));
            calls[k - 1] = new GroupCall(ClusterProtocol.Current, "protocol", 0, config.ToJson(), WorkCodec.Encode(work));
        }
        var group = cluster.Client.GetGrain<ISlotGroupGrain>(calls[0].GrainKey);

        var other = await group.Run(calls[0] with { Protocol = "wire 0 / engine 0.0-old" }, Ct);
        Assert.NotNull(other.Refusal);
        Assert.Contains("wire 0 / engine 0.0-old", other.Refusal);
        Assert.Contains(ClusterProtocol.Current, other.Refusal);

        var first = await group.Run(calls[0], Ct);
        var retried = await group.Run(calls[0], Ct);
        Assert.Null(first.Refusal);
        Assert.Equal(first.Results, retried.Results);
        var second = await group.Run(calls[1], Ct);
        Assert.Equal(2L, Assert.IsType<PairResult[]>(WorkCodec.DecodeResults(second.Results)).Select(r => r.Iteration).Distinct().Single());
        // The retry did not advance the states: a fresh group that ran iteration 1 once gives the same iteration-2 results.
        var fresh = cluster.Client.GetGrain<ISlotGroupGrain>("protocol/1");
        await fresh.Run(calls[0] with { Group = 1 }, Ct);
        Assert.Equal(second.Results, (await fresh.Run(calls[1] with { Group = 1 }, Ct)).Results);

        var stale = await group.Run(calls[0], Ct);
        Assert.True(stale.Stale);
        Assert.Empty(stale.Results);

        // A worker that never comes: a clear error after the timeout, not a hang.
        var e = await Assert.ThrowsAsync<TimeoutException>(() => ClusterSilos.WaitForWorkers(coordinator, 3, TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken));
        Assert.Contains("--min-workers 3", e.Message);
        Assert.Contains("1 worker(s) joined", e.Message);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class FixedPhi(float[] phi) : IPhiVersions
    {
        public float[] Get(long version) => phi;
    }

    [Fact]
    public void TheCodecRoundTripsWorkAndResults()
    {
        var work = new GroupWork(7, [new SlotWork(3, new EpisodeSpec(2, ulong.MaxValue, 5, 40), [new TruncationRecord(5, new Truncation(6, 0, true, false)), new TruncationRecord(6, new Truncation(9, 6, false, false))], new Truncation(25, 15, false, true))]);
        var back = WorkCodec.DecodeWork(WorkCodec.Encode(work));
        Assert.Equal(work.Iteration, back.Iteration);
        var (a, b) = (work.Slots[0], back.Slots[0]);
        Assert.Equal((a.Slot, a.Episode, a.Current), (b.Slot, b.Episode, b.Current));
        Assert.Equal(a.History, b.History);
        PairResult[] results = [new(3, 7, -0.25, 1.5, double.NaN, true, false, 2), new(4, 7, 1e-300, 0, 0, false, true, 0)];
        Assert.Equal(results, WorkCodec.DecodeResults(WorkCodec.Encode(results)));
        float[] phi = [1.5f, -0f, float.Epsilon, float.NaN];
        Assert.Equal(phi, WorkCodec.DecodeFloats(WorkCodec.Encode(phi)));
        Assert.Equal(16, WorkCodec.Encode(phi).Length);
        Assert.Throws<InvalidDataException>(() => WorkCodec.DecodeFloats(new byte[5]));
    }
}
