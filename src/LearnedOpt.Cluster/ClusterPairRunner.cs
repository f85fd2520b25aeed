using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace LearnedOpt.Cluster;

/// <summary>
/// The coordinator's <see cref="IPairRunner"/>: one <see cref="ISlotGroupGrain"/> call per slot group
/// and meta-iteration, sent from the <see cref="RunGrain"/> on the coordinator silo, which re-sends
/// calls whose worker died. Replies are checked (iteration, slots) and put back in slot order, so the
/// estimate does not depend on placement or arrival order. Counts the bytes that travel and each
/// worker's share of the groups.
/// </summary>
public sealed class ClusterPairRunner : IPairRunner
{
    private readonly IServiceProvider _coordinator;
    private readonly IGrainFactory _grains;
    private readonly CoordinatorRuns _runs;
    private readonly MetaTrainingConfig _config;
    private readonly string _configJson;
    private readonly int _maxAttempts;
    private bool _registered;

    /// <param name="coordinator">The coordinator silo's services (its grain factory and run registry).</param>
    /// <param name="runId">The run's id: the key of its run grain and the prefix of its group grains.</param>
    /// <param name="maxAttempts">Sends of one group call before the run fails.</param>
    public ClusterPairRunner(IServiceProvider coordinator, string runId, MetaTrainingConfig config, int maxAttempts = 40)
    {
        _coordinator = coordinator ?? throw new ArgumentNullException(nameof(coordinator));
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        RunId = runId;
        _config = config ?? throw new ArgumentNullException(nameof(config));
        _configJson = config.ToJson();
        _maxAttempts = maxAttempts;
        _grains = coordinator.GetRequiredService<IGrainFactory>();
        _runs = coordinator.GetRequiredService<CoordinatorRuns>();
    }

    public string RunId { get; }

    /// <summary>Bytes of work sent and of results received so far (payloads; φ versions counted as the workers fetch them).</summary>
    public long BytesDown { get; private set; }
    public long BytesUp { get; private set; }

    /// <summary>Replies for another iteration than the one asked, dropped.</summary>
    public long DroppedReplies { get; private set; }

    /// <summary>Groups run so far per worker silo.</summary>
    public IReadOnlyDictionary<string, long> GroupsByWorker => _share;
    private readonly Dictionary<string, long> _share = new(StringComparer.Ordinal);

    /// <summary>Calls re-sent after a failure.</summary>
    public long Resent => _runs.Resent;

    public PairResult[] Run(long iteration, IReadOnlyList<SlotWork> work, IPhiVersions phis, CancellationToken cancel)
    {
        if (!_registered) { _runs.Register(RunId, phis); _registered = true; }
        var groups = SlotGroups.Split(work, _config.SlotsPerGroup).ToArray();
        var calls = groups.Select(g => new GroupCall(ClusterProtocol.Current, RunId, g.Key, _configJson, WorkCodec.Encode(new GroupWork(iteration, g.Value)))).ToArray();
        var results = new PairResult[work.Count];
        var pending = Enumerable.Range(0, calls.Length).ToList();
        for (int round = 0; pending.Count > 0; round++)
        {
            if (round >= _maxAttempts) throw new TimeoutException($"meta-iteration {iteration}: slot groups {string.Join(", ", pending.Select(p => calls[p].Group))} sent no valid reply in {_maxAttempts} rounds.");
            cancel.ThrowIfCancellationRequested();
            var batch = pending.Select(p => calls[p]).ToArray();
            BytesDown += batch.Sum(c => (long)c.Work.Length);
            var replies = _grains.GetGrain<IRunGrain>(RunId).RunGroups(batch, _maxAttempts).GetAwaiter().GetResult();
            var retry = new List<int>();
            for (int j = 0; j < batch.Length; j++)
            {
                var reply = replies[j];
                if (reply.Refusal != null) throw new InvalidOperationException($"slot group {batch[j].Group} refused: {reply.Refusal}");
                BytesUp += reply.Results.Length;
                var decoded = WorkCodec.DecodeResults(reply.Results);
                var expected = groups[pending[j]].Value;
                if (decoded.Length != expected.Length || decoded.Any(r => r.Iteration != iteration) || !decoded.Select(r => r.Slot).SequenceEqual(expected.Select(s => s.Slot)))
                {
                    DroppedReplies++;
                    retry.Add(pending[j]);
                    continue;
                }
                foreach (var r in decoded) results[r.Slot] = r;
                _share[reply.Silo] = _share.GetValueOrDefault(reply.Silo) + 1;
            }
            pending = retry;
        }
        return results;
    }
}
