using System.CommandLine;
using LearnedOpt.Backends;

namespace LearnedOpt.Cli.Commands;

/// <summary>
/// lopt main: the project's main job in one command. Meta-trains the HRNN with the embedded default
/// configuration (resuming a previous run in the same folder), then evaluates the best-validation
/// weights against tuned baselines on the held-out suite. It composes the meta-train and eval
/// commands, so everything they print and write is what this writes.
/// </summary>
public sealed class MainCommand : ICommandFactory
{
    /// <summary>The held-out tasks the main job evaluates on (the suite's data-free tasks and the small image MLP: minutes on 2 cores).</summary>
    public const string DefaultTasks = "l2o-quadratic,hrnn-test-quadratic-20,hrnn-test-quadratic-20-noisy,rosenbrock,rosenbrock-noisy,logistic-10,fashion-mnist8-mlp-32";

    public Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder for the run (meta-train/ and eval/ inside)", DefaultValueFactory = _ => Path.Combine("runs", "main") };
        var iterations = new Option<int?>("--iterations") { Description = "Meta-iterations (default: the embedded config's)" };
        var tasks = new Option<string?>("--tasks") { Description = $"Held-out tasks to evaluate on (default: {DefaultTasks})" };
        var seeds = new Option<int>("--seeds") { Description = "Evaluation seeds per task", DefaultValueFactory = _ => 5 };
        var backend = BackendOption.Create();
        var cmd = new Command("main", "The main job: meta-train the HRNN optimizer (default config), then evaluate it against tuned baselines on held-out tasks.");
        foreach (var o in new Option[] { output, iterations, tasks, seeds, backend }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var dir = Path.GetFullPath(parse.GetValue(output)!);
            var taskList = parse.GetValue(tasks) ?? DefaultTasks;
            if (parse.GetValue(tasks) == null && LearnedOpt.Data.FashionMnistLocator.TryFind(out var why) == null)
            {
                // The default list runs on any machine: without the dataset, leave out the image task and say so.
                taskList = string.Join(',', DefaultTasks.Split(',').Where(t => !t.Contains("fashion", StringComparison.Ordinal)));
                Console.Error.WriteLine($"main: Fashion-MNIST not found ({why}); evaluating without fashion-mnist8-mlp-32.");
            }
            // Check the evaluation's tasks before minutes of meta-training.
            foreach (var task in taskList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (!LearnedOpt.Tasks.HeldOutSuite.Contains(task))
                    throw new CliError($"--tasks: '{task}' is not in the held-out suite ({string.Join(", ", LearnedOpt.Tasks.HeldOutSuite.TaskNames)}).");
            using (var engine = BackendOption.Open(parse, backend))
            {
                if (engine.Kind == BackendKind.Cuda)
                    Console.Error.WriteLine("main: meta-training unrolls run on the CPU library (the CUDA unroll is not wired into the loop yet); the backend serves the rest.");
            }

            var metaDir = Path.Combine(dir, "meta-train");
            bool resume = File.Exists(Path.Combine(metaDir, LearnedOpt.MetaTraining.MetaTrainer.ConfigFile));
            var train = new List<string> { "meta-train", "--out", metaDir };
            if (resume) train.Add("--resume");
            if (parse.GetValue(iterations) is { } n) train.AddRange(["--iterations", n.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            Console.WriteLine($"main: step 1/2, lopt {string.Join(' ', train)}");
            int code = LoptProgram.Run(train.ToArray());
            if (code != 0) return code;

            var weights = Path.Combine(metaDir, LearnedOpt.MetaTraining.MetaTrainer.BestWeightsFile);
            if (!File.Exists(weights)) throw new CliError($"meta-training finished without {weights}.");
            var eval = new[] { "eval", "--weights", weights, "--tasks", taskList, "--seeds", parse.GetValue(seeds).ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", Path.Combine(dir, "eval") };
            Console.WriteLine($"main: step 2/2, lopt {string.Join(' ', eval)}");
            code = LoptProgram.Run(eval);
            if (code != 0) return code;
            Console.WriteLine($"main: done. Meta-training: {metaDir} (meta-loss.png, metrics.jsonl, best.safetensors); evaluation: {Path.Combine(dir, "eval")} (results.md, curves-*.png).");
            return 0;
        });
        return cmd;
    }
}
