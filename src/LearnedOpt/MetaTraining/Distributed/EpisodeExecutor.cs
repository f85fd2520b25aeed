using LearnedOpt.Backends;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.MetaTraining.Distributed;

/// <summary>
/// The workers' half of the per-slot environment: builds an episode from its <see cref="EpisodeSpec"/>
/// (problem, θ₀, F_init, data seed) and unrolls truncations of it with the HRNN, exactly as
/// <see cref="PerSlotUnrollEnvironment"/> does (same calls, same seeds), so a trajectory has the same
/// bits on whichever machine runs it.
/// </summary>
public sealed class EpisodeExecutor
{
    private readonly MetaTrainingConfig _config;
    private readonly EnsembleSampler _sampler;
    private readonly HrnnParameterVector _vector;
    private readonly IBackend _backend;
    private readonly ParameterGrowth? _growth;

    public EpisodeExecutor(MetaTrainingConfig config, EnsembleSampler sampler, HrnnParameterVector vector, IBackend backend)
    {
        _config = config ?? throw new ArgumentNullException(nameof(config));
        _sampler = sampler ?? throw new ArgumentNullException(nameof(sampler));
        _vector = vector ?? throw new ArgumentNullException(nameof(vector));
        _backend = backend ?? throw new ArgumentNullException(nameof(backend));
        _growth = ParameterGrowth.FromConfig(config);
    }

    public int MetaParameterCount => _vector.Length;

    /// <summary>An episode ready to unroll: its problem, F_init at θ₀ and the norm of θ₀.</summary>
    public sealed record Episode(EpisodeSpec Spec, FlatTask Task, double InitialLoss, double InitialNorm, ulong DataSeed);

    public Episode Open(EpisodeSpec spec)
    {
        var task = _sampler.Build(spec.Entry, spec.InstanceSeed);
        if (_config.ParameterScaleMax > 1)
        {
            double ln = Math.Log(_config.ParameterScaleMax);
            double scale = Math.Exp(new Rng(spec.EpisodeSeed).Fork("scale").Uniform(-ln, ln));
            task = new RescaleTask(task, scale, task.Name);
        }
        var start = HrnnRollout.Initial(task, InitSeed(spec));
        return new Episode(spec, task, HrnnRollout.Loss(task, start), _growth != null ? ParameterGrowth.Norm(start.Values) : 0,
                           new Rng(spec.EpisodeSeed).Fork("data").Seed);
    }

    /// <summary>A fresh state at the episode's θ₀.</summary>
    public InnerState InitialState(Episode episode) => HrnnRollout.Initial(episode.Task, InitSeed(episode.Spec));

    /// <summary>Runs a truncation from <paramref name="state"/> (in place) with φ: Steps + 1 point losses, and whether it blew up.</summary>
    public (double[] Points, bool BlewUp) Unroll(Episode episode, InnerState state, float[] phi, Truncation truncation)
    {
        var monitor = _growth?.Watch(episode.InitialNorm);
        var points = HrnnRollout.Run(_backend, episode.Task, _vector.ToWeights(phi), state, episode.DataSeed,
                                     truncation.StartStep, truncation.Steps, episode.InitialLoss, _config.MaxPointLoss, monitor);
        return (points, monitor is { BlewUp: true });
    }

    private static ulong InitSeed(EpisodeSpec spec) => new Rng(spec.EpisodeSeed).Fork("init").Seed;
}
