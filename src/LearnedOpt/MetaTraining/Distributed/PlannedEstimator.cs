using System.Collections.Concurrent;
using LearnedOpt.MetaTraining.Estimators;

namespace LearnedOpt.MetaTraining.Distributed;

/// <summary>
/// ES or PES as a coordinator runs them: it plans the truncations (<see cref="EpisodePlanner"/>), hands
/// each slot's work to an <see cref="IPairRunner"/>, gets back one loss difference dᵢ per slot and forms
/// the estimate from the keyed perturbations εₖ,ᵢ it regenerates itself: ES ĝ = (1/N) Σᵢ dᵢ/(2σ²)·εₖ,ᵢ,
/// PES ĝ = (1/N) Σᵢ dᵢ/(2σ²)·ξᵢ with ξᵢ the sum of the episode's ε. The sums run in slot order with the
/// same arithmetic as <see cref="EsEstimator"/> and <see cref="PesEstimator"/>, so the result does not
/// depend on where or in which order the pairs ran, and equals the one-process keyed run bit for bit
/// on the CPU. It keeps each slot's episode history and the φ versions that history used, so a worker
/// that lost a slot can replay it; both go into checkpoints, the workers' states do not.
/// </summary>
public sealed class PlannedEstimator : IMetaGradientEstimator, IPhiVersions
{
    private readonly MetaTrainingConfig _config;
    private readonly EpisodePlanner _planner;
    private readonly IPairRunner _runner;
    private readonly PerturbationStream _perturbations;
    private readonly int _parameters;
    private readonly List<TruncationRecord>[] _history;
    private readonly float[]?[] _xi;
    private readonly ConcurrentDictionary<long, float[]> _phi = new();
    private long _iteration;

    public PlannedEstimator(MetaTrainingConfig config, EpisodePlanner planner, IPairRunner runner, int metaParameterCount)
    {
        _config = config ?? throw new ArgumentNullException(nameof(config));
        _planner = planner ?? throw new ArgumentNullException(nameof(planner));
        _runner = runner ?? throw new ArgumentNullException(nameof(runner));
        if (config.Estimator is not ("es" or "pes")) throw new ArgumentException($"estimator = {config.Estimator}: a planned run needs es or pes.", nameof(config));
        if (config.Perturbations != PerturbationStream.Keyed)
            throw new ArgumentException($"perturbations = {config.Perturbations}: a planned (cluster) run needs keyed perturbations.", nameof(config));
        Perturbation.CheckSigma(config.Sigma);
        _perturbations = new PerturbationStream(PerturbationStream.Keyed, config.Seed, config.Estimator);
        _parameters = metaParameterCount;
        _history = Enumerable.Range(0, config.Slots).Select(_ => new List<TruncationRecord>()).ToArray();
        _xi = new float[]?[config.Slots];
    }

    public string Name => _config.Estimator;

    public long EpisodesReset => _planner.EpisodesReset;

    /// <summary>Slots reported lost and restarted (onWorkerLoss = restart).</summary>
    public long SlotsLost { get; private set; }

    /// <summary>Truncations workers replayed to rebuild lost states.</summary>
    public long Replayed { get; private set; }

    /// <summary>Cancels a runner's wait (the trainer's cancellation arrives only between iterations).</summary>
    public CancellationToken Cancel { get; set; }

    public float[] Get(long version) => _phi.TryGetValue(version, out var phi) ? phi
        : throw new KeyNotFoundException($"φ version {version} is not kept (kept: {string.Join(", ", _phi.Keys.Order())}).");

    public MetaGradientEstimate Estimate(float[] phi)
    {
        ArgumentNullException.ThrowIfNull(phi);
        if (phi.Length != _parameters) throw new ArgumentException($"phi has {phi.Length} values, expected {_parameters}.", nameof(phi));
        var plan = _planner.Next();
        long k = ++_iteration;
        int n = plan.Length;
        _phi[k - 1] = (float[])phi.Clone();
        var work = new SlotWork[n];
        for (int i = 0; i < n; i++)
        {
            if (plan[i].Truncation.StartsEpisode)
            {
                _history[i].Clear();
                if (_config.Estimator == "pes") _xi[i] = new float[_parameters];
            }
            work[i] = new SlotWork(i, plan[i].Episode, [.. _history[i]], plan[i].Truncation);
        }
        Prune();
        var results = _runner.Run(k, work, this, Cancel);
        var g = new double[_parameters];
        double loss = 0;
        long steps = 0;
        double twoSigmaSq = 2 * _config.Sigma * _config.Sigma;
        for (int i = 0; i < n; i++)
        {
            var r = results[i];
            if (r.Slot != i || r.Iteration != k) throw new InvalidOperationException($"slot {i}: the runner returned slot {r.Slot} of iteration {r.Iteration}, expected iteration {k}.");
            Replayed += r.Replayed;
            if (r.Lost)
            {
                // Restarted: no contribution, a new episode at the next plan.
                SlotsLost++;
                _planner.EndEpisode(i);
                _history[i].Clear();
                steps += 2L * plan[i].Truncation.Steps;
                continue;
            }
            var eps = _perturbations.Draw(k, i, _parameters, _config.Sigma);
            var weights = eps;
            if (_xi[i] is { } xi)
            {
                for (int j = 0; j < xi.Length; j++) xi[j] += eps[j];
                weights = xi;
            }
            if (double.IsFinite(r.Delta) && !r.BlewUp)
            {
                double c = r.Delta / (twoSigmaSq * n);
                for (int j = 0; j < g.Length; j++) g[j] += c * weights[j];
            }
            loss += 0.5 * (r.MeanPlus + r.MeanMinus) / n;
            steps += 2L * plan[i].Truncation.Steps;
            _history[i].Add(new TruncationRecord(k, plan[i].Truncation));
            if (r.BlewUp) _planner.EndEpisode(i);
        }
        return new MetaGradientEstimate(Array.ConvertAll(g, v => (float)v), loss, steps);
    }

    // Keep the versions some slot's history (or the current iteration) still refers to.
    private void Prune()
    {
        long oldest = _iteration - 1;
        foreach (var h in _history) if (h.Count > 0) oldest = Math.Min(oldest, h[0].Iteration - 1);
        foreach (var v in _phi.Keys) if (v < oldest) _phi.TryRemove(v, out _);
    }

    public void Save(StateBag bag, string prefix)
    {
        _planner.Save(bag, $"{prefix}planner/");
        bag.SetLongs($"{prefix}iteration", [_iteration]);
        var versions = new SortedSet<long>();
        for (int i = 0; i < _history.Length; i++)
        {
            var h = _history[i];
            bag.SetLongs($"{prefix}slot{i}/history", h.SelectMany(r => new[]
            {
                r.Iteration, r.Truncation.Steps, r.Truncation.StartStep, r.Truncation.StartsEpisode ? 1L : 0, r.Truncation.EndsEpisode ? 1L : 0,
            }).ToArray());
            foreach (var r in h) versions.Add(r.Iteration - 1);
            if (_xi[i] is { } xi) bag.SetFloats($"{prefix}slot{i}/xi", xi);
        }
        bag.SetLongs($"{prefix}phiVersions", versions.ToArray());
        foreach (var v in versions) bag.SetFloats($"{prefix}phi{v}", Get(v));
        bag.SetLongs($"{prefix}counters", [Replayed, SlotsLost]);
    }

    public void Load(StateBag bag, string prefix)
    {
        _planner.Load(bag, $"{prefix}planner/");
        _iteration = bag.GetLongs($"{prefix}iteration", 1)[0];
        for (int i = 0; i < _history.Length; i++)
        {
            var raw = bag.GetLongs($"{prefix}slot{i}/history");
            if (raw.Length % 5 != 0) throw new InvalidDataException($"{bag.Source}: slot {i}'s history has {raw.Length} values, not a multiple of 5.");
            _history[i].Clear();
            for (int j = 0; j < raw.Length; j += 5)
                _history[i].Add(new TruncationRecord(raw[j], new Truncation(checked((int)raw[j + 1]), raw[j + 2], raw[j + 3] != 0, raw[j + 4] != 0)));
            _xi[i] = bag.Contains($"{prefix}slot{i}/xi") ? bag.GetFloats($"{prefix}slot{i}/xi", _parameters) : null;
        }
        _phi.Clear();
        foreach (var v in bag.GetLongs($"{prefix}phiVersions")) _phi[v] = bag.GetFloats($"{prefix}phi{v}", _parameters);
        var counters = bag.GetLongs($"{prefix}counters", 2);
        (Replayed, SlotsLost) = (counters[0], counters[1]);
    }
}
