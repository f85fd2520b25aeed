namespace LearnedOpt.MetaTraining.Estimators;

/// <summary>
/// Truncated ES with antithetic pairs (Vicol et al. 2021; docs/meta-training.md): each slot's ± copies start from the
/// same carried state with the same data, ĝ = (1/N) Σᵢ εᵢ (L̄ᵢ⁺ − L̄ᵢ⁻)/(2σ²), and only the +
/// trajectory is kept. Unbiased for the Gaussian-smoothed truncation objective; biased (short
/// horizon) for the whole episode, like TBPTT.
/// </summary>
public sealed class EsEstimator : IMetaGradientEstimator
{
    private readonly IUnrollEnvironment _env;
    private readonly double _sigma;
    private readonly PerturbationStream _perturbations;
    private long _iteration;  // estimates made so far: the k of keyed perturbations
    private readonly InnerState?[] _states;
    private readonly int _threads;

    /// <param name="perturbations"><see cref="PerturbationStream.Sequential"/> (default) or <see cref="PerturbationStream.Keyed"/>.</param>
    public EsEstimator(IUnrollEnvironment env, double sigma, ulong seed, int threads = 1, string perturbations = PerturbationStream.Sequential)
    {
        ArgumentNullException.ThrowIfNull(env);
        Perturbation.CheckSigma(sigma);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _env = env;
        _sigma = sigma;
        _perturbations = new PerturbationStream(perturbations, seed, "es");
        _states = new InnerState?[env.Slots];
        _threads = threads;
    }

    public string Name => "es";

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
            if (plan[i].StartsEpisode || _states[i] == null) _states[i] = _env.InitialState(i);
            eps[i] = _perturbations.Draw(_iteration, i, phi.Length, _sigma);
        }
        var plus = new InnerState[n];
        var minus = new InnerState[n];
        for (int i = 0; i < n; i++) (plus[i], minus[i]) = (_states[i]!.Clone(), _states[i]!.Clone());
        var (lp, lm) = Perturbation.UnrollPairs(_env, plus, minus, phi, eps, plan, _threads);
        var g = new double[phi.Length];
        double loss = 0;
        long steps = 0;
        for (int i = 0; i < n; i++)
        {
            double delta = Perturbation.StepMean(lp[i]) - Perturbation.StepMean(lm[i]);
            // A truncation that blew up is dropped: its episode restarts at the next plan.
            if (double.IsFinite(delta) && !_env.BlewUp(i))
            {
                double c = delta / (2 * _sigma * _sigma * n);
                for (int k = 0; k < g.Length; k++) g[k] += c * eps[i][k];
            }
            loss += 0.5 * (MetaObjective.Mean(lp[i]) + MetaObjective.Mean(lm[i])) / n;
            steps += 2L * plan[i].Steps;
            _states[i] = plus[i];
        }
        return new MetaGradientEstimate(Array.ConvertAll(g, v => (float)v), loss, steps);
    }

    public void Save(StateBag bag, string prefix)
    {
        _perturbations.Save(bag, $"{prefix}rng");
        if (_perturbations.IsKeyed) bag.SetLongs($"{prefix}iteration", [_iteration]);
        for (int i = 0; i < _states.Length; i++) SaveState(bag, $"{prefix}slot{i}/", _states[i]);
    }

    public void Load(StateBag bag, string prefix)
    {
        _perturbations.Load(bag, $"{prefix}rng");
        if (_perturbations.IsKeyed) _iteration = bag.GetLongs($"{prefix}iteration", 1)[0];
        for (int i = 0; i < _states.Length; i++) _states[i] = LoadState(bag, $"{prefix}slot{i}/");
    }

    internal static void SaveState(StateBag bag, string prefix, InnerState? s)
    {
        if (s == null) return;
        bag.SetFloats($"{prefix}values", s.Values);
        bag.SetLongs($"{prefix}fresh", [s.Fresh ? 1 : 0]);
    }

    internal static InnerState? LoadState(StateBag bag, string prefix)
        => bag.Contains($"{prefix}values") ? new InnerState(bag.GetFloats($"{prefix}values"), bag.GetLongs($"{prefix}fresh", 1)[0] != 0) : null;
}
