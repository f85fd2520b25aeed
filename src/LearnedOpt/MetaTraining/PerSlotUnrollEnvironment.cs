using LearnedOpt.Backends;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.MetaTraining;

/// <summary>
/// The production environment: slots of synthetic ensemble problems unrolled by the HRNN. Each
/// episode draws a problem, a length (min + Exp(mean), capped) and seeds for θ₀ and the data; θ and
/// the optimizer state are reset together at episode start (decision 5). Truncation lengths are
/// drawn the same way and cut at the episode end. F_init is the full loss at θ₀. Options (off by
/// default): the parameter-growth penalty and blow-up resets (<see cref="ParameterGrowth"/>: a slot
/// that blew up starts a new episode at the next plan, and <see cref="BlewUp"/> tells the estimator to
/// drop its truncation) and parameter-scale augmentation (each episode's problem is
/// <see cref="RescaleTask"/>(problem, s) with ln s uniform over ±ln parameterScaleMax).
/// </summary>
public sealed class PerSlotUnrollEnvironment : IUnrollEnvironment
{
    private readonly MetaTrainingConfig _config;
    private readonly EnsembleSampler _sampler;
    private readonly HrnnParameterVector _vector;
    private readonly IBackend _backend;
    private readonly Rng _rng;
    private readonly Slot[] _slots;
    private readonly ParameterGrowth? _growth;

    private sealed class Slot
    {
        public int Entry = -1;
        public ulong InstanceSeed, EpisodeSeed;
        public long Length, Step;
        public double InitialLoss;
        public FlatTask? Task;
        public long Episodes;
        public double Scale = 1, InitialNorm;
        public volatile bool BlewUp;
        public long Resets;
    }

    public PerSlotUnrollEnvironment(MetaTrainingConfig config, EnsembleSampler sampler, HrnnParameterVector vector, IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _sampler = sampler ?? throw new ArgumentNullException(nameof(sampler));
        _vector = vector ?? throw new ArgumentNullException(nameof(vector));
        _backend = backend ?? throw new ArgumentNullException(nameof(backend));
        _rng = new Rng(config.Seed).Fork("environment");
        _slots = Enumerable.Range(0, config.Slots).Select(_ => new Slot()).ToArray();
        _growth = ParameterGrowth.FromConfig(config);
    }

    public int Slots => _slots.Length;
    public int MetaParameterCount => _vector.Length;

    /// <summary>Episodes started so far over all slots.</summary>
    public long EpisodesStarted => _slots.Sum(s => s.Episodes);

    /// <summary>Episodes ended early by a blow-up so far over all slots.</summary>
    public long EpisodesReset => _slots.Sum(s => s.Resets);

    /// <summary>Whether the slot's last truncation blew up (either trajectory of a pair); its episode restarts at the next plan.</summary>
    public bool BlewUp(int slot) => _slots[slot].BlewUp;

    public Truncation[] NextTruncations()
    {
        var plan = new Truncation[_slots.Length];
        for (int i = 0; i < _slots.Length; i++)
        {
            var s = _slots[i];
            if (s.BlewUp)
            {
                s.Resets++;
                s.BlewUp = false;
                s.Length = s.Step;
            }
            bool starts = s.Task == null || s.Step >= s.Length;
            if (starts)
            {
                (s.Entry, s.InstanceSeed) = _sampler.Draw(_rng);
                s.EpisodeSeed = _rng.NextUInt64();
                s.Length = Draw(_config.EpisodeMinSteps, _config.EpisodeMeanExtraSteps, _config.EpisodeMaxSteps);
                s.Step = 0;
                if (_config.ParameterScaleMax > 1)
                {
                    // From the episode's own seed: the environment's stream (problems, lengths) stays as without augmentation.
                    double ln = Math.Log(_config.ParameterScaleMax);
                    s.Scale = Math.Exp(new Rng(s.EpisodeSeed).Fork("scale").Uniform(-ln, ln));
                }
                s.Task = Build(s);
                var start = InitialState(i);
                s.InitialLoss = HrnnRollout.Loss(s.Task, start);
                if (_growth != null) s.InitialNorm = ParameterGrowth.Norm(start.Values);
                s.Episodes++;
            }
            int k = (int)Math.Min(Draw(_config.TruncationMinSteps, _config.TruncationMeanExtraSteps, _config.TruncationMaxSteps), s.Length - s.Step);
            plan[i] = new Truncation(k, s.Step, starts, s.Step + k == s.Length);
            s.Step += k;
        }
        return plan;
    }

    public InnerState InitialState(int slot) => HrnnRollout.Initial(Task(slot), new Rng(_slots[slot].EpisodeSeed).Fork("init").Seed);

    public double[] Unroll(int slot, InnerState state, float[] phi, Truncation truncation)
    {
        var s = _slots[slot];
        var monitor = _growth?.Watch(s.InitialNorm);
        var points = HrnnRollout.Run(_backend, Task(slot), _vector.ToWeights(phi), state, Episode(slot).DataSeed,
                                     truncation.StartStep, truncation.Steps, s.InitialLoss, _config.MaxPointLoss, monitor);
        if (monitor is { BlewUp: true }) s.BlewUp = true;
        return points;
    }

    // The episode's problem: the entry's instance, rescaled when parameter-scale augmentation is on.
    private FlatTask Build(Slot s)
    {
        var task = _sampler.Build(s.Entry, s.InstanceSeed);
        return _config.ParameterScaleMax > 1 ? new RescaleTask(task, s.Scale, task.Name) : task;
    }

    /// <summary>The slot's current episode: its problem, F_init and the seed of its data stream (for estimators that unroll themselves).</summary>
    public (FlatTask Task, double InitialLoss, ulong DataSeed) Episode(int slot)
        => (Task(slot), _slots[slot].InitialLoss, new Rng(_slots[slot].EpisodeSeed).Fork("data").Seed);

    /// <summary>The sampler entry of the slot's current episode (batched unrolls group slots by it).</summary>
    public int EntryIndex(int slot)
    {
        Task(slot);
        return _slots[slot].Entry;
    }

    public void Save(StateBag bag, string prefix)
    {
        bag.SetULongs($"{prefix}rng", _rng.SaveState());
        for (int i = 0; i < _slots.Length; i++)
        {
            var s = _slots[i];
            bag.SetLongs($"{prefix}slot{i}/ints", [s.Entry, s.Length, s.Step, s.Episodes]);
            bag.SetULongs($"{prefix}slot{i}/seeds", [s.InstanceSeed, s.EpisodeSeed]);
            bag.SetDoubles($"{prefix}slot{i}/initialLoss", [s.InitialLoss]);
            if (_growth != null || _config.ParameterScaleMax > 1)
            {
                bag.SetDoubles($"{prefix}slot{i}/growth", [s.Scale, s.InitialNorm]);
                bag.SetLongs($"{prefix}slot{i}/resets", [s.BlewUp ? 1 : 0, s.Resets]);
            }
        }
    }

    public void Load(StateBag bag, string prefix)
    {
        _rng.LoadState(bag.GetULongs($"{prefix}rng", 6));
        for (int i = 0; i < _slots.Length; i++)
        {
            var s = _slots[i];
            var ints = bag.GetLongs($"{prefix}slot{i}/ints", 4);
            var seeds = bag.GetULongs($"{prefix}slot{i}/seeds", 2);
            (s.Entry, s.Length, s.Step, s.Episodes) = ((int)ints[0], ints[1], ints[2], ints[3]);
            (s.InstanceSeed, s.EpisodeSeed) = (seeds[0], seeds[1]);
            s.InitialLoss = bag.GetDoubles($"{prefix}slot{i}/initialLoss", 1)[0];
            if (_growth != null || _config.ParameterScaleMax > 1)
            {
                var growth = bag.GetDoubles($"{prefix}slot{i}/growth", 2);
                var resets = bag.GetLongs($"{prefix}slot{i}/resets", 2);
                (s.Scale, s.InitialNorm) = (growth[0], growth[1]);
                (s.BlewUp, s.Resets) = (resets[0] != 0, resets[1]);
            }
            s.Task = s.Entry < 0 ? null : Build(s);
        }
    }

    private FlatTask Task(int slot) => _slots[slot].Task ?? throw new InvalidOperationException($"Slot {slot} has no episode yet; call NextTruncations first.");

    private long Draw(int min, double meanExtra, int max) => Math.Min(max, min + (long)Math.Round(_rng.Exponential(meanExtra)));
}
