namespace LearnedOpt.MetaTraining.Distributed;

/// <summary>
/// Runs the slot groups in this process, one <see cref="SlotGroupExecutor"/> per group of
/// <c>slotsPerGroup</c> slots: the one-process reference of a cluster run, and what tests use to
/// lose a group (<see cref="Forget"/>) without a cluster.
/// </summary>
public sealed class LocalPairRunner(MetaTrainingConfig config, EpisodeExecutor executor) : IPairRunner
{
    private readonly Dictionary<int, SlotGroupExecutor> _groups = [];

    public long Replayed => _groups.Values.Sum(g => g.Replayed);

    /// <summary>Drops a group's states, as a dead worker would.</summary>
    public void Forget(int group) => _groups.Remove(group);

    public PairResult[] Run(long iteration, IReadOnlyList<SlotWork> work, IPhiVersions phis, CancellationToken cancel)
    {
        var results = new PairResult[work.Count];
        foreach (var group in SlotGroups.Split(work, config.SlotsPerGroup))
        {
            cancel.ThrowIfCancellationRequested();
            if (!_groups.TryGetValue(group.Key, out var g)) _groups[group.Key] = g = new SlotGroupExecutor(config, executor);
            foreach (var r in g.Run(new GroupWork(iteration, group.Value), phis.Get, config.EffectiveThreads)) results[r.Slot] = r;
        }
        return results;
    }
}

/// <summary>Slot group g owns slots [g·S, (g+1)·S).</summary>
public static class SlotGroups
{
    public static int Count(int slots, int slotsPerGroup) => (slots + slotsPerGroup - 1) / slotsPerGroup;

    public static IEnumerable<KeyValuePair<int, SlotWork[]>> Split(IReadOnlyList<SlotWork> work, int slotsPerGroup)
        => work.GroupBy(w => w.Slot / slotsPerGroup).OrderBy(g => g.Key).Select(g => KeyValuePair.Create(g.Key, g.ToArray()));
}
