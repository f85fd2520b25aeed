using System.CommandLine;
using LearnedOpt.Backends;
using LearnedOpt.Cli.MetaTraining;
using LearnedOpt.MetaTraining.Evaluation;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tasks;

namespace LearnedOpt.Cli.Commands;

/// <summary>
/// <c>lopt eval --weights W [--suite held-out] [--seeds N] [--steps 100,1000,5000] [--out DIR] [--json] [--tasks a,b] [--baseline-cache F]</c>:
/// the HRNN against tuned Adam, RMSProp and SGD with momentum on the held-out suite, at each step
/// horizon (baselines tuned per horizon): a table (stdout, or JSON with --json), and with --out
/// results.md, results.json and one curves PNG per task (per task and horizon when there are several).
/// </summary>
public sealed class EvalCommand : ICommandFactory
{
    public Command Create()
    {
        var weights = new Option<string>("--weights") { Description = "Weight file of the learned optimizer (safetensors).", Required = true };
        var learned = new Option<string>("--optimizer") { Description = "The learned optimizer the weights belong to: hrnn or celo.", DefaultValueFactory = _ => "hrnn" };
        learned.AcceptOnlyFromAmong("hrnn", "celo");
        var suite = new Option<string>("--suite") { Description = "Task suite: held-out.", DefaultValueFactory = _ => "held-out" };
        suite.AcceptOnlyFromAmong("held-out");
        var seeds = new Option<int>("--seeds") { Description = "Evaluation seeds per task.", DefaultValueFactory = _ => 5 };
        var tuning = new Option<int>("--tuning-seeds") { Description = "Seeds (disjoint from --seeds) on which baseline learning rates are tuned.", DefaultValueFactory = _ => 2 };
        var steps = new Option<string>("--steps") { Description = "Inner steps per run: one horizon or a comma-separated list (e.g. 100,1000,5000).", DefaultValueFactory = _ => "100" };
        var output = new Option<string?>("--out") { Description = "Directory for results.md, results.json and curves-<task>.png." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of the table." };
        var tasks = new Option<string?>("--tasks") { Description = "Comma-separated subset of the suite's tasks." };
        var cache = new Option<string?>("--baseline-cache") { Description = "JSON file of tuned baselines: reused where task, horizon, seeds, grid and engine version match; new ones are added." };
        var cmd = new Command("eval", "Evaluate learned-optimizer weights (HRNN or Celo) against tuned baselines on the held-out suite.");
        foreach (var o in new Option[] { weights, learned, suite, seeds, tuning, steps, output, json, tasks, cache }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            int n = parse.GetValue(seeds), nt = parse.GetValue(tuning);
            if (n < 1) throw new CliError($"--seeds {n}: must be >= 1.");
            if (nt < 1) throw new CliError($"--tuning-seeds {nt}: must be >= 1.");
            var horizons = ParseHorizons(parse.GetValue(steps)!);
            var members = HeldOutSuite.Members.ToList();
            if (parse.GetValue(tasks) is { } list)
            {
                var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var unknown = names.FirstOrDefault(t => !HeldOutSuite.Contains(t));
                if (unknown != null) throw new CliError($"--tasks: '{unknown}' is not in the held-out suite ({string.Join(", ", HeldOutSuite.TaskNames)}).");
                members = members.Where(m => names.Contains(m.Task)).ToList();
            }
            var path = parse.GetValue(weights)!;
            bool celo = parse.GetValue(learned) == "celo";
            var hrnnWeights = celo ? null : HrnnWeights.Load(path);
            var celoWeights = celo ? LearnedOpt.Optimizers.Celo.CeloWeights.Load(path) : null;
            bool asJson = parse.GetValue(json);
            BaselineCache? baselines = null;
            if (parse.GetValue(cache) is { } cachePath)
            {
                try { baselines = BaselineCache.Open(cachePath); }
                catch (InvalidDataException e) { throw new CliError($"--baseline-cache {cachePath}: {e.Message}"); }
            }
            using var backend = BackendSelector.CreateCpu(threads: 1); // small problems: OpenMP teams cost more than they give, worst on a shared machine
            var results = new List<TaskResult>();
            foreach (var k in horizons)
            {
                Action<string>? log = asJson ? null : m => Console.Error.WriteLine(m);
                var evaluator = celo
                    ? new HeldOutEvaluator(backend, celoWeights!) { Seeds = n, TuningSeeds = nt, Steps = k, Cache = baselines, Log = log }
                    : new HeldOutEvaluator(backend, hrnnWeights!) { Seeds = n, TuningSeeds = nt, Steps = k, Cache = baselines, Log = log };
                foreach (var m in members)
                {
                    try
                    {
                        results.Add(evaluator.Evaluate(m));
                    }
                    catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException)
                    {
                        // A task that cannot be built here (no Fashion-MNIST, a name this build lacks) is reported; the rest still runs.
                        results.Add(new TaskResult(m.Task, m.Group, k, [], e.Message.ReplaceLineEndings(" ")));
                    }
                }
            }
            var table = EvalReport.Table(results, path, n);
            var jsonText = EvalReport.Json(results, path, n, horizons);
            Console.WriteLine(asJson ? jsonText : table);
            if (parse.GetValue(output) is { } dir)
            {
                Directory.CreateDirectory(dir);
                File.WriteAllText(Path.Combine(dir, "results.md"), table);
                File.WriteAllText(Path.Combine(dir, "results.json"), jsonText + "\n");
                foreach (var r in results.Where(r => r.Skipped == null))
                    EvalReport.Plot(r, Path.Combine(dir, horizons.Count == 1 ? $"curves-{r.Task}.png" : $"curves-{r.Task}-{r.Steps}.png"));
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>"100,1000,5000" → [100, 1000, 5000]: distinct horizons, each ≥ 1, in the order given.</summary>
    internal static IReadOnlyList<int> ParseHorizons(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new CliError($"--steps '{text}': give one or more step counts, e.g. 100 or 100,1000,5000.");
        var horizons = new List<int>();
        foreach (var p in parts)
        {
            if (!int.TryParse(p, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int k) || k < 1)
                throw new CliError($"--steps '{text}': '{p}' is not a whole number >= 1.");
            if (!horizons.Contains(k)) horizons.Add(k);
        }
        return horizons;
    }
}
