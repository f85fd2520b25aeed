using LearnedOpt.Backends;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.MetaTraining;

/// <summary>
/// In-distribution validation for checkpoint selection: problems of the training families on seeds
/// of their own stream (never the held-out suite), each run for a fixed number of steps from a fixed
/// θ₀. Score = mean over problems of the episode's log meta-objective (lower is better). Optionally
/// also ReLU network problems (<see cref="NetworksEnsemble"/>'s teacher–student MLPs and 8×8
/// Fashion-MNIST MLPs and ConvNets) at a long horizon, where the divergence of a learned optimizer shows, and the
/// <see cref="DyingGradientProbe"/>; <see cref="Evaluate"/> reports the extremes of each run.
/// </summary>
public sealed class ValidationSet
{
    private readonly (FlatTask Task, ulong InitSeed, ulong DataSeed, int Steps)[] _problems;
    private readonly double _cap;
    private readonly ulong? _probeSeed;

    public ValidationSet(EnsembleSampler sampler, ulong seed, int problems, int steps, double cap)
        : this(sampler, seed, problems, steps, cap, 0, 1, probe: false)
    {
    }

    /// <param name="networkProblems">Network problems, cycling over the network entries, <paramref name="networkSteps"/> steps each.</param>
    /// <param name="probe">Run the dying-gradient probe in <see cref="Evaluate"/>.</param>
    public ValidationSet(EnsembleSampler sampler, ulong seed, int problems, int steps, double cap, int networkProblems, int networkSteps, bool probe)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentOutOfRangeException.ThrowIfNegative(problems);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(networkProblems);
        ArgumentOutOfRangeException.ThrowIfLessThan(networkSteps, 1);
        var rng = new Rng(seed).Fork("validation");
        var list = Enumerable.Range(0, problems).Select(_ =>
        {
            var (entry, instance) = sampler.Draw(rng);
            return (sampler.Build(entry, instance), rng.NextUInt64(), rng.NextUInt64(), steps);
        }).ToList();
        // Own stream, so adding network problems leaves the synthetic ones as they were.
        var networks = NetworksEnsemble.Entries.Where(e => e.IsNetwork).ToArray();
        var netRng = new Rng(seed).Fork("validation-networks");
        for (int k = 0; k < networkProblems; k++)
        {
            var entry = networks[k % networks.Length];
            list.Add((entry.Build(Tasks.HeldOutSuite.TrainingSeed(netRng.NextUInt64())), netRng.NextUInt64(), netRng.NextUInt64(), networkSteps));
        }
        _problems = [.. list];
        _cap = cap;
        _probeSeed = probe ? new Rng(seed).Fork("validation-probe").Seed : null;
    }

    public int Count => _problems.Length;

    /// <summary>Names of the problems, in order (for reports and tests).</summary>
    public IEnumerable<(string Name, int Steps)> Problems => _problems.Select(p => (p.Task.Name, p.Steps));

    public double Score(IBackend backend, HrnnWeights weights, int threads) => Evaluate(backend, weights, threads).Score;

    /// <summary>The score (NaN without problems) and the extremes of the runs (null without problems and probe).</summary>
    public (double Score, ValidationDiagnostics? Diagnostics) Evaluate(IBackend backend, HrnnWeights weights, int threads)
    {
        if (_problems.Length == 0 && _probeSeed == null) return (double.NaN, null);
        var scores = new double[_problems.Length];
        var ends = new (float[] Ell, double Ratio)[_problems.Length];
        Parallel.For(0, _problems.Length, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            var (task, initSeed, dataSeed, steps) = _problems[i];
            var state = HrnnRollout.Initial(task, initSeed);
            double f0 = HrnnRollout.Loss(task, state);
            double norm0 = ParameterGrowth.Norm(InnerStateInspector.Theta(task, state));
            scores[i] = MetaObjective.Mean(HrnnRollout.Run(backend, task, weights, state, dataSeed, 0, steps, f0, _cap));
            ends[i] = (InnerStateInspector.LogLr(backend, task, weights, state),
                       ParameterGrowth.Ratio(ParameterGrowth.Norm(InnerStateInspector.Theta(task, state)), norm0));
        });
        double max = double.NegativeInfinity, min = double.PositiveInfinity, ratio = 0;
        long clipped = 0, total = 0;
        foreach (var (ell, r) in ends)
        {
            foreach (var l in ell)
            {
                max = Math.Max(max, l);
                min = Math.Min(min, l);
                if (!(Math.Abs(l) < InnerStateInspector.ClipLevel)) clipped++;
            }
            total += ell.Length;
            ratio = double.IsNaN(r) ? double.PositiveInfinity : Math.Max(ratio, r);
        }
        var probe = _probeSeed is { } s ? DyingGradientProbe.Run(backend, weights, s) : null;
        double score = _problems.Length == 0 ? double.NaN : scores.Average();
        return (score, new ValidationDiagnostics(max, min, total == 0 ? double.NaN : (double)clipped / total, ratio, probe));
    }
}
