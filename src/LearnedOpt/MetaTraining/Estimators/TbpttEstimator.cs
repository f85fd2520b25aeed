using LearnedOpt.MetaTraining.Gradients;

namespace LearnedOpt.MetaTraining.Estimators;

/// <summary>
/// Exact truncated BPTT (Vicol et al. 2021; docs/meta-training.md) through the metagrad helper's double-precision
/// unroll (<see cref="TbpttMetaGradient"/>): each slot's truncation is differentiated from its
/// carried θ and optimizer state (constants: no gradient through the incoming state), second-order
/// terms included; ĝ is the mean over slots. States are carried in float64 between truncations and
/// reset with the episode (then the h0 tensors receive gradient too). All slots of a call form one
/// lock-step batch (<see cref="TbpttMetaGradient.ComputeBatch(HrnnParameters, IReadOnlyList{TbpttProblem}, IReadOnlyList{TbpttOptions}, int, HrnnCoordinateEngine?)"/>;
/// the tasks run on up to <c>threads</c> threads). The per-coordinate work runs on the given <see cref="HrnnCoordinateEngine"/> (default the CPU library; a
/// GPU backend's engine (<see cref="HrnnCoordinateEngine.For"/>) puts states and tapes on the device, the caller owns and disposes it).
/// </summary>
public sealed class TbpttEstimator : IMetaGradientEstimator
{
    private readonly PerSlotUnrollEnvironment _env;
    private readonly HrnnParameterVector _vector;
    private readonly double[]?[] _theta;
    private readonly TbpttHrnnState?[] _state;
    private readonly int _threads;
    private readonly HrnnCoordinateEngine _engine;

    public TbpttEstimator(PerSlotUnrollEnvironment env, HrnnParameterVector vector, int threads = 1, HrnnCoordinateEngine? engine = null)
    {
        _env = env ?? throw new ArgumentNullException(nameof(env));
        _vector = vector ?? throw new ArgumentNullException(nameof(vector));
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _theta = new double[]?[env.Slots];
        _state = new TbpttHrnnState?[env.Slots];
        _threads = threads;
        _engine = engine ?? HrnnCoordinateEngine.Cpu;
    }

    /// <summary>Where the per-coordinate work runs.</summary>
    public HrnnCoordinateEngine Engine => _engine;

    public string Name => "tbptt";

    public MetaGradientEstimate Estimate(float[] phi)
    {
        ArgumentNullException.ThrowIfNull(phi);
        var plan = _env.NextTruncations();
        int n = _env.Slots;
        for (int i = 0; i < n; i++)
        {
            if (!plan[i].StartsEpisode && _theta[i] != null) continue;
            _theta[i] = Array.ConvertAll(_env.InitialState(i).Values, v => (double)v);
            _state[i] = null;
        }
        var w = HrnnParameters.FromWeights(_vector.ToWeights(phi));
        // The same minibatch/noise stream as the ES/PES unrolls (step t uses Rng(dataSeed).Stream(t)),
        // with the Jacobian of that training gradient for the second-order terms.
        var problems = new TbpttProblem[n];
        var options = new TbpttOptions[n];
        for (int i = 0; i < n; i++)
        {
            var (task, f0, dataSeed) = _env.Episode(i);
            problems[i] = TrainingOracle.Problem(task, task.Split(_theta[i]!), f0, dataSeed, plan[i].StartStep, _state[i]);
            options[i] = new TbpttOptions(plan[i].Steps);
        }
        // Every slot in one lock-step batch: one engine call per phase per inner step for all of them.
        var results = TbpttMetaGradient.ComputeBatch(w, problems, options, _threads, _engine);
        var g = new double[phi.Length];
        double loss = 0;
        long steps = 0;
        for (int i = 0; i < n; i++)
        {
            var r = results[i];
            int offset = 0;
            foreach (var (name, _) in r.Gradient.Layout)
            {
                var part = r.Gradient[name];
                for (int j = 0; j < part.Length; j++) g[offset + j] += part[j] / n;
                offset += part.Length;
            }
            loss += (double.IsFinite(r.MetaLoss) ? r.MetaLoss : 0) / n;
            steps += plan[i].Steps;
            _theta[i] = r.FinalTheta.SelectMany(t => t).ToArray();
            _state[i] = r.FinalState;
        }
        return new MetaGradientEstimate(Array.ConvertAll(g, v => (float)v), loss, steps);
    }

    public void Save(StateBag bag, string prefix)
    {
        for (int i = 0; i < _theta.Length; i++)
        {
            if (_theta[i] is not { } theta) continue;
            bag.SetDoubles($"{prefix}slot{i}/theta", theta);
            if (_state[i] is not { } s) continue;
            bag.SetLongs($"{prefix}slot{i}/lengths", s.Lengths.Select(l => (long)l).ToArray());
            for (int t = 0; t < s.TensorCount; t++)
            {
                bag.SetDoubles($"{prefix}slot{i}/coords{t}", s.Coords[t]);
                bag.SetDoubles($"{prefix}slot{i}/sk{t}", s.Sk[t]);
            }
            bag.SetDoubles($"{prefix}slot{i}/g", s.G);
        }
    }

    public void Load(StateBag bag, string prefix)
    {
        for (int i = 0; i < _theta.Length; i++)
        {
            _theta[i] = bag.Contains($"{prefix}slot{i}/theta") ? bag.GetDoubles($"{prefix}slot{i}/theta") : null;
            _state[i] = null;
            if (_theta[i] == null || !bag.Contains($"{prefix}slot{i}/lengths")) continue;
            var lengths = bag.GetLongs($"{prefix}slot{i}/lengths").Select(l => checked((int)l)).ToArray();
            var s = new TbpttHrnnState(lengths, _vector.H1, _vector.H2);
            for (int t = 0; t < lengths.Length; t++)
            {
                bag.GetDoubles($"{prefix}slot{i}/coords{t}", s.Coords[t].Length).CopyTo(s.Coords[t], 0);
                bag.GetDoubles($"{prefix}slot{i}/sk{t}", _vector.H1).CopyTo(s.Sk[t], 0);
            }
            bag.GetDoubles($"{prefix}slot{i}/g", _vector.H2).CopyTo(s.G, 0);
            _state[i] = s;
        }
    }
}
