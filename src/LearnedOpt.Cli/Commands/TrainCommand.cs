using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LearnedOpt.Backends;
using LearnedOpt.Cli.Training;
using LearnedOpt.Optimizers;
using LearnedOpt.Tasks;
using LearnedOpt.Training;

namespace LearnedOpt.Cli.Commands;

/// <summary>
/// <c>lopt train</c>: trains one task with one optimizer, shows progress, writes the loss curve
/// (CSV + PNG) and prints the final train and test loss (and accuracy for classification).
/// </summary>
public sealed class TrainCommand : ICommandFactory
{
    public Command Create()
    {
        var task = new Option<string>("--task") { Description = "Task name (see 'lopt tasks').", Required = true };
        var optimizer = new Option<string>("--optimizer") { Description = $"Optimizer: {string.Join(", ", OptimizerNames.All)}.", Required = true };
        var weights = new Option<string?>("--weights") { Description = "Weight file of a learned optimizer (safetensors); hrnn without it runs the shipped weights." };
        var steps = new Option<long>("--steps") { Description = "Minibatch steps at the task's batch size (also the default --total-steps).", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the task instance, initial point and batches.", DefaultValueFactory = _ => 0 };
        var outDir = new Option<string?>("--out") { Description = "Directory for loss.csv and loss.png (created if missing)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text (progress goes to stderr)." };
        var backend = BackendOption.Create();
        var hp = new HyperParameterOptions();

        var cmd = new Command("train", "Train one task with one optimizer and report the loss curve and final train/test loss.");
        foreach (var o in new Option[] { task, optimizer, steps, seed, weights, outDir, json, backend }) cmd.Options.Add(o);
        hp.AddTo(cmd);
        cmd.SetAction(parse => Run(new Request(
            parse.GetValue(task)!, parse.GetValue(optimizer)!, parse.GetValue(weights), parse.GetValue(steps), parse.GetValue(seed),
            parse.GetValue(outDir), parse.GetValue(json)), kind => hp.Read(parse, kind), () => BackendOption.Open(parse, backend)));
        return cmd;
    }

    private sealed record Request(string Task, string Optimizer, string? Weights, long Steps, ulong Seed, string? OutDir, bool Json);

    private static int Run(Request r, Func<OptimizerKind, HyperParameters> hyperParameters, Func<IBackend> openBackend)
    {
        if (r.Steps < 1) throw new CliError($"--steps must be >= 1, got {r.Steps}.");
        var entry = TaskRegistry.Get(r.Task);
        var kind = OptimizerNames.Parse(r.Optimizer);
        var hp = hyperParameters(kind);
        // Celo plans its schedule for N steps: the run's length unless --total-steps says otherwise.
        if (kind == OptimizerKind.Celo && hp.TotalSteps == 0) hp = hp with { TotalSteps = checked((int)r.Steps) };
        if (r.Weights != null && !File.Exists(r.Weights)) throw new FileNotFoundException($"--weights file '{r.Weights}' does not exist.");
        string? outDir = r.OutDir == null ? null : Path.GetFullPath(r.OutDir);
        if (outDir != null && File.Exists(outDir)) throw new CliError($"--out '{r.OutDir}' is a file, not a directory.");

        var task = entry.Build(r.Seed);
        using var be = openBackend();
        using var opt = OptimizerOption.Create(kind, be, task.Parameters, hp, r.Weights);

        var progressOut = r.Json ? Console.Error : Console.Out;
        bool interactive = r.Json ? !Console.IsErrorRedirected : !Console.IsOutputRedirected;
        if (!r.Json)
            Console.Out.WriteLine($"train {task.Name} ({task.Parameters.Sum(p => p.Length)} parameters, batch {task.BatchSize}) with {OptimizerNames.Name(kind)} for {r.Steps} steps, seed {r.Seed}");
        var progress = new ProgressReporter(progressOut, interactive, r.Steps);
        var run = TaskTrainer.Run(task, opt, r.Seed, r.Steps, progress.Report);

        var theta = run.FinalTheta;
        var train = task is IHasTestSplit split ? split.EvaluateTrain(theta) : new Evaluation(task.Loss(theta, null), null);
        var test = (task as IHasTestSplit)?.EvaluateTest(theta);

        string? csv = null, png = null;
        if (outDir != null)
        {
            Directory.CreateDirectory(outDir);
            csv = Path.Combine(outDir, "loss.csv");
            png = Path.Combine(outDir, "loss.png");
            LossCurveFiles.WriteCsv(csv, run.StepLosses);
            LossCurveFiles.WritePng(png, run.StepLosses, $"{task.Name} — {OptimizerNames.Name(kind)}, seed {r.Seed}", minibatch: task.BatchSize > 0);
        }

        if (r.Json)
            Console.Out.WriteLine(JsonReport(task, kind, r, be.Kind.ToString().ToLowerInvariant(), run, train, test, csv, png));
        else
            Console.Out.Write(TextReport(run, train, test, csv, png));
        return 0;
    }

    private static string TextReport(TrainingRun run, Evaluation train, Evaluation? test, string? csv, string? png)
    {
        var c = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Create(c, $"final train loss {train.Loss:G6}{Acc(train)} (whole train split)"),
            test == null ? "no test split" : string.Create(c, $"final test loss  {test.Loss:G6}{Acc(test)} (whole test split)"),
            string.Create(c, $"{run.StepLosses.Length} steps in {run.Elapsed.TotalSeconds:F1} s ({run.StepLosses.Length / Math.Max(run.Elapsed.TotalSeconds, 1e-9):F1} steps/s)"),
        };
        if (run.NonFiniteGradients > 0) lines.Add($"{run.NonFiniteGradients} non-finite gradient entries were skipped");
        if (csv != null) lines.Add($"wrote {csv} and {png}");
        return string.Join(Environment.NewLine, lines) + Environment.NewLine;

        static string Acc(Evaluation e) => e.Accuracy is { } a ? string.Create(CultureInfo.InvariantCulture, $", accuracy {a * 100:F2}%") : "";
    }

    private static string JsonReport(ITask task, OptimizerKind kind, Request r, string backend, TrainingRun run, Evaluation train, Evaluation? test, string? csv, string? png)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("task", task.Name);
            w.WriteString("optimizer", OptimizerNames.Name(kind));
            w.WriteNumber("steps", run.StepLosses.Length);
            w.WriteNumber("seed", r.Seed);
            w.WriteString("backend", backend);
            Number(w, "train_loss", train.Loss);
            if (train.Accuracy is { } ta) Number(w, "train_accuracy", ta);
            if (test == null) w.WriteNull("test_loss");
            else Number(w, "test_loss", test.Loss);
            if (test?.Accuracy is { } acc) Number(w, "test_accuracy", acc);
            Number(w, "last_batch_loss", run.StepLosses[^1]);
            Number(w, "seconds", run.Elapsed.TotalSeconds);
            w.WriteNumber("non_finite_gradients", run.NonFiniteGradients);
            if (csv != null) w.WriteString("loss_csv", csv);
            if (png != null) w.WriteString("loss_png", png);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    // JSON has no NaN or Infinity: a diverged value is written as null.
    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteNull(name);
    }
}
