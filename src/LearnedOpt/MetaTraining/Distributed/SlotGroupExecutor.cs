using LearnedOpt.MetaTraining.Estimators;

namespace LearnedOpt.MetaTraining.Distributed;

/// <summary>
/// A worker's slot group: the ± inner states of its slots between calls, and the truncations of one
/// meta-iteration run on them. A slot whose state is missing or behind the request (a fresh
/// activation after a worker died, a resumed run) is rebuilt from θ₀ by replaying its episode's
/// history with the same keyed perturbations and φ versions, which on the CPU gives the lost state
/// bit for bit; with <c>onWorkerLoss = restart</c> it is reported lost instead. A repeated request
/// for the iteration last run returns the same results without running again (idempotent retries);
/// a request for an older iteration is refused (a stale call).
/// </summary>
public sealed class SlotGroupExecutor
{
    private readonly MetaTrainingConfig _config;
    private readonly EpisodeExecutor _executor;
    private readonly bool _antitheticState;   // PES carries both trajectories; ES keeps the + one
    private readonly Dictionary<int, SlotState> _slots = [];
    private readonly object _lock = new();
    private long _lastIteration;
    private PairResult[]? _lastResults;

    private sealed class SlotState
    {
        public required EpisodeExecutor.Episode Episode;
        public required InnerState Plus;
        public InnerState? Minus;
        public int Done;          // truncations of the episode this state has run
    }

    public SlotGroupExecutor(MetaTrainingConfig config, EpisodeExecutor executor)
    {
        _config = config ?? throw new ArgumentNullException(nameof(config));
        _executor = executor ?? throw new ArgumentNullException(nameof(executor));
        if (config.Estimator is not ("es" or "pes")) throw new ArgumentException($"estimator = {config.Estimator}: slot groups run es or pes.", nameof(config));
        _antitheticState = config.Estimator == "pes";
    }

    /// <summary>Truncations replayed so far to rebuild lost states.</summary>
    public long Replayed { get; private set; }

    /// <summary>Runs the group's truncations of <paramref name="work"/>; <paramref name="phiOf"/> gives φ of a version.</summary>
    public PairResult[] Run(GroupWork work, Func<long, float[]> phiOf, int threads)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(phiOf);
        lock (_lock)
        {
            if (_lastResults != null && work.Iteration == _lastIteration) return _lastResults;
            if (work.Iteration < _lastIteration)
                throw new StaleWorkException($"the request is for meta-iteration {work.Iteration}, but this group has already run {_lastIteration}.");
            var results = new PairResult[work.Slots.Length];
            Parallel.For(0, work.Slots.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) },
                         j => results[j] = RunSlot(work.Iteration, work.Slots[j], phiOf));
            Replayed += results.Sum(r => (long)r.Replayed);
            (_lastIteration, _lastResults) = (work.Iteration, results);
            return results;
        }
    }

    private PairResult RunSlot(long iteration, SlotWork w, Func<long, float[]> phiOf)
    {
        int replayed = 0;
        SlotState? state;
        lock (_slots) _slots.TryGetValue(w.Slot, out state);
        if (w.Current.StartsEpisode || state == null || state.Episode.Spec != w.Episode || state.Done != w.History.Length)
        {
            if (!w.Current.StartsEpisode && _config.OnWorkerLoss == MetaTrainingConfig.RestartOnWorkerLoss)
            {
                lock (_slots) _slots.Remove(w.Slot);
                return new PairResult(w.Slot, iteration, 0, 0, 0, false, Lost: true, 0);
            }
            state = Rebuild(w, phiOf);
            replayed = w.History.Length;
            lock (_slots) _slots[w.Slot] = state;
        }
        var phi = phiOf(iteration - 1);
        var eps = Perturb(iteration, w.Slot, phi.Length);
        InnerState plus = state.Plus, minus = state.Minus!;
        if (!_antitheticState) (plus, minus) = (state.Plus.Clone(), state.Plus.Clone());
        var (lp, bp) = _executor.Unroll(state.Episode, plus, Perturbation.Offset(phi, eps, +1), w.Current);
        var (lm, bm) = _executor.Unroll(state.Episode, minus, Perturbation.Offset(phi, eps, -1), w.Current);
        if (!_antitheticState) state.Plus = plus;
        state.Done++;
        return new PairResult(w.Slot, iteration, Perturbation.StepMean(lp) - Perturbation.StepMean(lm),
                              MetaObjective.Mean(lp), MetaObjective.Mean(lm), bp || bm, Lost: false, replayed);
    }

    // θ₀ of the episode, then every truncation it has run, as the coordinator recorded them.
    private SlotState Rebuild(SlotWork w, Func<long, float[]> phiOf)
    {
        var episode = _executor.Open(w.Episode);
        var plus = _executor.InitialState(episode);
        var state = new SlotState { Episode = episode, Plus = plus, Minus = _antitheticState ? plus.Clone() : null };
        foreach (var h in w.History)
        {
            var phi = phiOf(h.Iteration - 1);
            var eps = Perturb(h.Iteration, w.Slot, phi.Length);
            _executor.Unroll(episode, state.Plus, Perturbation.Offset(phi, eps, +1), h.Truncation);
            if (state.Minus != null) _executor.Unroll(episode, state.Minus, Perturbation.Offset(phi, eps, -1), h.Truncation);
            state.Done++;
        }
        return state;
    }

    private float[] Perturb(long iteration, int slot, int n) => PerturbationStream.KeyedDraw(_config.Seed, _config.Estimator, iteration, slot, n, _config.Sigma);
}

/// <summary>A request for a meta-iteration older than the one a slot group has already run.</summary>
public sealed class StaleWorkException(string message) : InvalidOperationException(message);
