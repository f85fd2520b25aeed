using LearnedOpt.Backends;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.MetaTraining;

/// <summary>
/// In-distribution validation for checkpoint selection: problems of the training families on seeds
/// of their own stream (never the held-out suite), each run for a fixed number of steps from a fixed
/// θ₀. Score = mean over problems of the episode's log meta-objective (lower is better).
/// </summary>
public sealed class ValidationSet
{
    private readonly (FlatTask Task, ulong InitSeed, ulong DataSeed)[] _problems;
    private readonly int _steps;
    private readonly double _cap;

    public ValidationSet(EnsembleSampler sampler, ulong seed, int problems, int steps, double cap)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentOutOfRangeException.ThrowIfNegative(problems);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var rng = new Rng(seed).Fork("validation");
        _problems = Enumerable.Range(0, problems).Select(_ =>
        {
            var (entry, instance) = sampler.Draw(rng);
            return (sampler.Build(entry, instance), rng.NextUInt64(), rng.NextUInt64());
        }).ToArray();
        _steps = steps;
        _cap = cap;
    }

    public int Count => _problems.Length;

    public double Score(IBackend backend, HrnnWeights weights, int threads)
    {
        if (_problems.Length == 0) return double.NaN;
        var scores = new double[_problems.Length];
        Parallel.For(0, _problems.Length, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            var (task, initSeed, dataSeed) = _problems[i];
            var state = HrnnRollout.Initial(task, initSeed);
            double f0 = HrnnRollout.Loss(task, state);
            scores[i] = MetaObjective.Mean(HrnnRollout.Run(backend, task, weights, state, dataSeed, 0, _steps, f0, _cap));
        });
        return scores.Average();
    }
}
