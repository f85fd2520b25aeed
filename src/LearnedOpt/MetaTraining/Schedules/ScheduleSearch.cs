using LearnedOpt.Backends;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks;
using LearnedOpt.Training;

namespace LearnedOpt.MetaTraining.Schedules;

/// <summary>One grid point's outcome: per problem and seed the final log10 whole-train loss, and the divergences.</summary>
public sealed record SchedulePoint(double InitialLr, double Decay, double[][] FinalLog10, int Diverged)
{
    /// <summary>Mean over problems of the mean over seeds; +∞ when any run diverged, so a diverging schedule is never chosen.</summary>
    public double Score => Diverged > 0 ? double.PositiveInfinity : FinalLog10.Average(seeds => seeds.Average());
}

/// <summary>
/// Zeroth-order meta-training of the two numbers of a fixed learning-rate schedule
/// (<see cref="FixedLrSchedule"/>): every grid point runs every validation problem on its seeds from
/// the same initial points and batches, and the point with the lowest mean final log10 whole-train
/// loss (no divergence allowed) wins. Seeds come from the config's seed, per task, so they differ
/// from the held-out suite's; results do not depend on the thread count.
/// </summary>
public sealed class ScheduleSearch
{
    private readonly ScheduleSearchConfig _config;
    private readonly HrnnWeights _start;

    public ScheduleSearch(ScheduleSearchConfig config, HrnnWeights start)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(start);
        config.Validate();
        _config = config;
        _start = start;
    }

    /// <summary>Progress lines (one per grid point).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>The seeds of a validation problem (a stream of the config's seed, forked by task name).</summary>
    public static ulong[] Seeds(ulong seed, string task, int count)
    {
        var rng = new Rng(seed).Fork("schedule-validation").Fork(task);
        return Enumerable.Range(0, count).Select(_ => rng.NextUInt64()).ToArray();
    }

    public HrnnWeights WeightsFor(double initialLr, double decay)
        => FixedLrSchedule.Apply(_start, initialLr, decay, _config.Horizon, HrnnOptimizer.DefaultInitialLogLr);

    public IReadOnlyList<SchedulePoint> Run(IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var runs = _config.Problems.SelectMany((p, i) => Seeds(_config.Seed, p.Task, p.Seeds).Select((s, k) => (Problem: i, SeedIndex: k, Seed: s))).ToArray();
        var initial = new double[runs.Length];
        Parallel.For(0, runs.Length, new ParallelOptions { MaxDegreeOfParallelism = _config.EffectiveThreads }, r =>
        {
            var entry = TaskRegistry.Get(_config.Problems[runs[r].Problem].Task);
            var task = entry.Build(runs[r].Seed);
            initial[r] = task.Loss(TaskTrainer.InitialTheta(task, runs[r].Seed), null);
        });
        var points = new List<SchedulePoint>();
        foreach (var lr in _config.InitialLearningRates)
        foreach (var decay in _config.Decays)
        {
            var weights = WeightsFor(lr, decay);
            var finals = new double[runs.Length];
            Parallel.For(0, runs.Length, new ParallelOptions { MaxDegreeOfParallelism = _config.EffectiveThreads }, r =>
            {
                var problem = _config.Problems[runs[r].Problem];
                var task = TaskRegistry.Get(problem.Task).Build(runs[r].Seed);
                using var opt = new HrnnOptimizer(backend, task.Parameters, weights);
                var run = TaskTrainer.Run(task, opt, runs[r].Seed, problem.Steps);
                finals[r] = task.Loss(run.FinalTheta, null);
            });
            var perProblem = _config.Problems.Select((p, i) => runs.Select((run, r) => (run, r)).Where(x => x.run.Problem == i)
                .Select(x => Log10(finals[x.r])).ToArray()).ToArray();
            int diverged = runs.Select((run, r) => RunHealth.Diverged(initial[r], finals[r])).Count(d => d);
            var point = new SchedulePoint(lr, decay, perProblem, diverged);
            points.Add(point);
            Log?.Invoke($"lr {lr:G3} decay e^-{decay:G3}/{_config.Horizon} steps: score {point.Score:F4}, diverged {diverged}/{runs.Length}  " +
                        string.Join("  ", _config.Problems.Select((p, i) => $"{p.Task} {perProblem[i].Average():F3}")));
        }
        return points;
    }

    /// <summary>The best point: lowest score, ties to the earlier point in grid order.</summary>
    public static SchedulePoint Best(IReadOnlyList<SchedulePoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count == 0) throw new ArgumentException("no grid points", nameof(points));
        var best = points[0];
        foreach (var p in points.Skip(1)) if (p.Score < best.Score) best = p;
        if (double.IsPositiveInfinity(best.Score)) throw new InvalidOperationException("Every schedule of the grid diverged on some validation run: widen the grid towards smaller learning rates.");
        return best;
    }

    private static double Log10(double loss) => double.IsFinite(loss) ? Math.Log10(Math.Max(loss, 1e-30)) : double.PositiveInfinity;
}
