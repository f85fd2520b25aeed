using LearnedOpt.Randomness;

namespace LearnedOpt.MetaTraining.Distributed;

/// <summary>
/// The coordinator's half of the per-slot environment: the episodic bookkeeping and its random
/// stream. Each plan draws, where an episode ends, the next episode (entry, instance seed, episode
/// seed, length) and for every slot the next truncation length, in the same order and from the same
/// stream as <see cref="PerSlotUnrollEnvironment"/>, so that a planned run sees the same episodes as a
/// one-process run. Executing the episodes is <see cref="EpisodeExecutor"/>'s job.
/// </summary>
public sealed class EpisodePlanner
{
    private readonly MetaTrainingConfig _config;
    private readonly EnsembleSampler _sampler;
    private readonly Rng _rng;
    private readonly Slot[] _slots;

    private sealed class Slot
    {
        public int Entry = -1;
        public ulong InstanceSeed, EpisodeSeed;
        public long Length, Step, Episodes, Resets;
        public bool Ends;     // end the episode at the next plan (a blow-up or a lost worker)
        public bool Started;
    }

    public EpisodePlanner(MetaTrainingConfig config, EnsembleSampler sampler)
    {
        _config = config ?? throw new ArgumentNullException(nameof(config));
        _sampler = sampler ?? throw new ArgumentNullException(nameof(sampler));
        _rng = new Rng(config.Seed).Fork("environment");
        _slots = Enumerable.Range(0, config.Slots).Select(_ => new Slot()).ToArray();
    }

    public int Slots => _slots.Length;

    /// <summary>Episodes ended early (blow-ups, or lost workers under onWorkerLoss = restart).</summary>
    public long EpisodesReset => _slots.Sum(s => s.Resets);

    public long EpisodesStarted => _slots.Sum(s => s.Episodes);

    /// <summary>Plans (and commits) every slot's next truncation.</summary>
    public SlotPlan[] Next()
    {
        var plan = new SlotPlan[_slots.Length];
        for (int i = 0; i < _slots.Length; i++)
        {
            var s = _slots[i];
            if (s.Ends)
            {
                s.Resets++;
                s.Ends = false;
                s.Length = s.Step;
            }
            bool starts = !s.Started || s.Step >= s.Length;
            if (starts)
            {
                (s.Entry, s.InstanceSeed) = _sampler.Draw(_rng);
                s.EpisodeSeed = _rng.NextUInt64();
                s.Length = Draw(_config.EpisodeMinSteps, _config.EpisodeMeanExtraSteps, _config.EpisodeMaxSteps);
                s.Step = 0;
                s.Started = true;
                s.Episodes++;
            }
            int k = (int)Math.Min(Draw(_config.TruncationMinSteps, _config.TruncationMeanExtraSteps, _config.TruncationMaxSteps), s.Length - s.Step);
            plan[i] = new SlotPlan(new EpisodeSpec(s.Entry, s.InstanceSeed, s.EpisodeSeed, s.Length),
                                   new Truncation(k, s.Step, starts, s.Step + k == s.Length));
            s.Step += k;
        }
        return plan;
    }

    /// <summary>Ends the slot's episode at the next plan (its last truncation blew up, or its state was lost).</summary>
    public void EndEpisode(int slot) => _slots[slot].Ends = true;

    public void Save(StateBag bag, string prefix)
    {
        bag.SetULongs($"{prefix}rng", _rng.SaveState());
        for (int i = 0; i < _slots.Length; i++)
        {
            var s = _slots[i];
            bag.SetLongs($"{prefix}slot{i}/ints", [s.Entry, s.Length, s.Step, s.Episodes, s.Resets, s.Ends ? 1 : 0, s.Started ? 1 : 0]);
            bag.SetULongs($"{prefix}slot{i}/seeds", [s.InstanceSeed, s.EpisodeSeed]);
        }
    }

    public void Load(StateBag bag, string prefix)
    {
        _rng.LoadState(bag.GetULongs($"{prefix}rng", 6));
        for (int i = 0; i < _slots.Length; i++)
        {
            var s = _slots[i];
            var ints = bag.GetLongs($"{prefix}slot{i}/ints", 7);
            var seeds = bag.GetULongs($"{prefix}slot{i}/seeds", 2);
            (s.Entry, s.Length, s.Step, s.Episodes, s.Resets) = ((int)ints[0], ints[1], ints[2], ints[3], ints[4]);
            (s.Ends, s.Started) = (ints[5] != 0, ints[6] != 0);
            (s.InstanceSeed, s.EpisodeSeed) = (seeds[0], seeds[1]);
        }
    }

    private long Draw(int min, double meanExtra, int max) => Math.Min(max, min + (long)Math.Round(_rng.Exponential(meanExtra)));
}
