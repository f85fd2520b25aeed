namespace LearnedOpt.MetaTraining.Estimators;

/// <summary>
/// Persistent evolution strategies (Vicol et al. 2021; docs/meta-training.md): persistent ± states per slot, each
/// truncation run with φ ± εᵢ (fresh εᵢ, same data for both), and the accumulated perturbation
/// ξᵢ = Σ ε since the episode began weighting the loss difference:
/// ĝ = (1/N) Σᵢ ξᵢ · (Σₜ Δᵢₜ / Dᵢ)/(2σ²). Because truncations end at episode ends, every step of a
/// truncation, the episode's last included, belongs to the episode ξ covers (decision 6). Unbiased
/// for the smoothed whole-episode objective; ξ restarts from 0 with every episode.
/// </summary>
public sealed class PesEstimator : IMetaGradientEstimator
{
    private readonly IUnrollEnvironment _env;
    private readonly double _sigma;
    private readonly PerturbationStream _perturbations;
    private long _iteration;  // estimates made so far: the k of keyed perturbations
    private readonly InnerState?[] _plus, _minus;
    private readonly float[]?[] _xi;
    private readonly int _threads;

    /// <param name="perturbations"><see cref="PerturbationStream.Sequential"/> (default) or <see cref="PerturbationStream.Keyed"/>.</param>
    public PesEstimator(IUnrollEnvironment env, double sigma, ulong seed, int threads = 1, string perturbations = PerturbationStream.Sequential)
    {
        ArgumentNullException.ThrowIfNull(env);
        Perturbation.CheckSigma(sigma);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _env = env;
        _sigma = sigma;
        _perturbations = new PerturbationStream(perturbations, seed, "pes");
        _plus = new InnerState?[env.Slots];
        _minus = new InnerState?[env.Slots];
        _xi = new float[]?[env.Slots];
        _threads = threads;
    }

    public string Name => "pes";

    public MetaGradientEstimate Estimate(float[] phi)
    {
        ArgumentNullException.ThrowIfNull(phi);
        if (phi.Length != _env.MetaParameterCount) throw new ArgumentException($"phi has {phi.Length} values, expected {_env.MetaParameterCount}.", nameof(phi));
        var plan = _env.NextTruncations();
        _iteration++;
        int n = _env.Slots;
        var eps = new float[n][];
        for (int i = 0; i < n; i++)
        {
            if (plan[i].StartsEpisode || _plus[i] == null)
            {
                _plus[i] = _env.InitialState(i);
                _minus[i] = _plus[i]!.Clone();
                _xi[i] = new float[phi.Length];
            }
            eps[i] = _perturbations.Draw(_iteration, i, phi.Length, _sigma);
        }
        var (lp, lm) = Perturbation.UnrollPairs(_env, Array.ConvertAll(_plus, s => s!), Array.ConvertAll(_minus, s => s!), phi, eps, plan, _threads);
        var g = new double[phi.Length];
        double loss = 0;
        long steps = 0;
        for (int i = 0; i < n; i++)
        {
            var xi = _xi[i]!;
            for (int k = 0; k < xi.Length; k++) xi[k] += eps[i][k];
            double delta = Perturbation.StepMean(lp[i]) - Perturbation.StepMean(lm[i]);
            // A truncation that blew up is dropped: its episode restarts at the next plan.
            if (double.IsFinite(delta) && !_env.BlewUp(i))
            {
                double c = delta / (2 * _sigma * _sigma * n);
                for (int k = 0; k < g.Length; k++) g[k] += c * xi[k];
            }
            loss += 0.5 * (MetaObjective.Mean(lp[i]) + MetaObjective.Mean(lm[i])) / n;
            steps += 2L * plan[i].Steps;
        }
        return new MetaGradientEstimate(Array.ConvertAll(g, v => (float)v), loss, steps);
    }

    public void Save(StateBag bag, string prefix)
    {
        _perturbations.Save(bag, $"{prefix}rng");
        if (_perturbations.IsKeyed) bag.SetLongs($"{prefix}iteration", [_iteration]);
        for (int i = 0; i < _plus.Length; i++)
        {
            EsEstimator.SaveState(bag, $"{prefix}slot{i}/plus/", _plus[i]);
            EsEstimator.SaveState(bag, $"{prefix}slot{i}/minus/", _minus[i]);
            if (_xi[i] is { } xi) bag.SetFloats($"{prefix}slot{i}/xi", xi);
        }
    }

    public void Load(StateBag bag, string prefix)
    {
        _perturbations.Load(bag, $"{prefix}rng");
        if (_perturbations.IsKeyed) _iteration = bag.GetLongs($"{prefix}iteration", 1)[0];
        for (int i = 0; i < _plus.Length; i++)
        {
            _plus[i] = EsEstimator.LoadState(bag, $"{prefix}slot{i}/plus/");
            _minus[i] = EsEstimator.LoadState(bag, $"{prefix}slot{i}/minus/");
            _xi[i] = bag.Contains($"{prefix}slot{i}/xi") ? bag.GetFloats($"{prefix}slot{i}/xi", _env.MetaParameterCount) : null;
            if ((_plus[i] == null) != (_minus[i] == null) || (_plus[i] == null) != (_xi[i] == null))
                throw new InvalidDataException($"{bag.Source}: PES slot {i} is incomplete (needs plus, minus and xi together).");
        }
    }
}
