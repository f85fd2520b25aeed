using LearnedOpt.Backends;
using LearnedOpt.Optimizers;
using LearnedOpt.Optimizers.Celo;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tasks;
using LearnedOpt.Training;

namespace LearnedOpt.MetaTraining.Evaluation;

/// <summary>
/// Evaluates HRNN weights against Adam, RMSProp and SGD with momentum 0.9 on held-out tasks. Each
/// baseline's learning rate is picked per task from a half-decade grid by the mean final log10 loss
/// on tuning seeds that are disjoint from the evaluation seeds (both from
/// <see cref="HeldOutSuite.Seeds"/>, never used in meta-training). The final loss is the exact
/// whole-train loss after the last step (for data tasks one full pass over the training set, once
/// per run); a non-finite one counts as 10³⁰. Each evaluation run also records whether it diverged
/// (final whole-train loss non-finite or above the one at its initial point) and its loss spikes
/// (<see cref="RunHealth"/>).
/// </summary>
public sealed class HeldOutEvaluator
{
    public const double DivergedLog10 = 30;

    public static readonly (string Name, OptimizerKind Kind)[] Baselines =
        [("adam", OptimizerKind.Adam), ("rmsprop", OptimizerKind.RmsProp), ("sgd-momentum", OptimizerKind.Momentum)];

    /// <summary>10^-4, 10^-3.5, …, 10^0.</summary>
    public static double[] DefaultGrid { get; } = Enumerable.Range(0, 9).Select(k => Math.Pow(10, -4 + 0.5 * k)).ToArray();

    private readonly IBackend _backend;
    private readonly HrnnWeights? _weights;
    private readonly CeloWeights? _celo;

    public HeldOutEvaluator(IBackend backend, HrnnWeights weights)
    {
        _backend = backend ?? throw new ArgumentNullException(nameof(backend));
        _weights = weights ?? throw new ArgumentNullException(nameof(weights));
    }

    /// <summary>Evaluates Celo weights instead of HRNN weights (Celo plans for <see cref="Steps"/> steps).</summary>
    public HeldOutEvaluator(IBackend backend, CeloWeights weights)
    {
        _backend = backend ?? throw new ArgumentNullException(nameof(backend));
        _celo = weights ?? throw new ArgumentNullException(nameof(weights));
    }

    private OptimizerKind LearnedKind => _celo != null ? OptimizerKind.Celo : OptimizerKind.Hrnn;

    public int Seeds { get; init; } = 5;
    public int TuningSeeds { get; init; } = 2;
    public int Steps { get; init; } = 100;
    public IReadOnlyList<double> Grid { get; init; } = DefaultGrid;

    /// <summary>Seeds run in parallel (each run has its own task instance and optimizer; results do not depend on this).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Tuned baselines from earlier evaluations (reused when their key matches; new ones are added).</summary>
    public BaselineCache? Cache { get; init; }

    /// <summary>Baselines tuned and run by this evaluator (not taken from <see cref="Cache"/>).</summary>
    public int BaselinesComputed => _baselinesComputed;
    private int _baselinesComputed;

    /// <summary>Progress lines (task, optimizer, chosen learning rate).</summary>
    public Action<string>? Log { get; init; }

    public TaskResult Evaluate(HeldOutSuite.Member member)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentOutOfRangeException.ThrowIfLessThan(Seeds, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(TuningSeeds, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(Steps, 1);
        var entry = TaskRegistry.Get(member.Task);
        ulong[] eval = HeldOutSuite.Seeds(member.Task, Seeds);
        ulong[] tune = HeldOutSuite.Seeds(member.Task + "/tuning", TuningSeeds);
        // The initial point depends only on the task and the seed: one whole-train loss per seed serves every optimizer.
        double[] initial = eval.Select(seed => InitialLoss(entry, seed)).ToArray();
        var learned = OptimizerNames.Name(LearnedKind);
        var results = new List<OptimizerResult> { RunSeeds(entry, learned, LearnedKind, null, eval, initial) };
        Log?.Invoke($"{member.Task}: {learned} mean final log10 {results[0].Mean:F3}");
        foreach (var (name, kind) in Baselines)
        {
            string key = BaselineCache.Key(member.Task, Steps, Seeds, TuningSeeds, Grid, name);
            if (Cache != null && Cache.TryGet(key, out var cached))
            {
                Log?.Invoke($"{member.Task}: {name} lr {cached.LearningRate:G3} (cached) mean final log10 {cached.Mean:F3}");
                results.Add(cached);
                continue;
            }
            double bestLr = Grid[0], bestScore = double.PositiveInfinity;
            foreach (var lr in Grid)
            {
                double score = RunSeeds(entry, name, kind, lr, tune, null).Mean;
                if (score < bestScore) (bestScore, bestLr) = (score, lr);
            }
            var r = RunSeeds(entry, name, kind, bestLr, eval, initial);
            Log?.Invoke($"{member.Task}: {name} lr {bestLr:G3} (tuned) mean final log10 {r.Mean:F3}");
            results.Add(r);
            Interlocked.Increment(ref _baselinesComputed);
            Cache?.Put(key, r);
        }
        return new TaskResult(member.Task, member.Group, Steps, results);
    }

    /// <summary><paramref name="initialLosses"/> (per seed) turns on the divergence and spike record; tuning runs go without.</summary>
    private OptimizerResult RunSeeds(TaskEntry entry, string name, OptimizerKind kind, double? lr, ulong[] seeds, double[]? initialLosses)
    {
        var runs = new (double Final, double[] Losses)[seeds.Length];
        Parallel.For(0, seeds.Length, new ParallelOptions { MaxDegreeOfParallelism = Threads }, s => runs[s] = RunOne(entry, kind, lr, seeds[s]));
        var finals = runs.Select(r => Log10(r.Final)).ToArray();
        var curve = new double[Steps + 1];
        foreach (var (final, losses) in runs)
        {
            for (int t = 0; t < Steps; t++) curve[t] += Log10(losses[t]) / seeds.Length;
            curve[Steps] += Log10(final) / seeds.Length;
        }
        if (initialLosses == null) return new OptimizerResult(name, lr, finals, curve);
        var diverged = runs.Select((r, s) => RunHealth.Diverged(initialLosses[s], r.Final)).ToArray();
        var spikes = runs.Select(r => RunHealth.CountSpikes(r.Losses)).ToArray();
        return new OptimizerResult(name, lr, finals, curve, diverged, spikes);
    }

    /// <summary>One run: its final whole-train loss and the training loss of every step.</summary>
    private (double FinalLoss, double[] StepLosses) RunOne(TaskEntry entry, OptimizerKind kind, double? lr, ulong seed)
    {
        var task = entry.Build(seed);
        using Optimizer opt = kind switch
        {
            OptimizerKind.Hrnn => new HrnnOptimizer(_backend, task.Parameters, _weights!),
            OptimizerKind.Celo => new CeloOptimizer(_backend, task.Parameters, _celo!, Steps),
            _ => new HandDesignedOptimizer(kind, _backend, task.Parameters, HyperParameters.Defaults(kind) with { Lr = (float)lr!.Value }),
        };
        var run = TaskTrainer.Run(task, opt, seed, Steps);
        return (task.Loss(run.FinalTheta, null), run.StepLosses);
    }

    private static double InitialLoss(TaskEntry entry, ulong seed)
    {
        var task = entry.Build(seed);
        return task.Loss(TaskTrainer.InitialTheta(task, seed), null);
    }

    private static double Log10(double loss)
        => double.IsFinite(loss) ? Math.Min(Math.Log10(Math.Max(loss, 1e-30)), DivergedLog10) : DivergedLog10;
}
