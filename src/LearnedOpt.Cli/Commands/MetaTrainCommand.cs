using System.CommandLine;
using System.Globalization;
using LearnedOpt.Backends;
using LearnedOpt.Cli.MetaTraining;
using LearnedOpt.MetaTraining;

namespace LearnedOpt.Cli.Commands;

/// <summary>
/// <c>lopt meta-train [--config C.json] [--estimator tbptt|es|pes] [--out DIR] [--resume] [--seed S]</c>:
/// meta-trains the HRNN on the synthetic ensemble (docs/meta-training.md). Without --config the
/// embedded default config is used; the config in effect is written to DIR/config.json, and
/// --resume continues from DIR's newest valid checkpoint with that config.
/// </summary>
public sealed class MetaTrainCommand : ICommandFactory
{
    public Command Create()
    {
        var config = new Option<string?>("--config") { Description = "Config JSON (keys in docs/meta-training.md); default: the embedded config." };
        var estimator = new Option<string?>("--estimator") { Description = "Meta-gradient estimator: pes (default), es, tbptt." };
        estimator.AcceptOnlyFromAmong("pes", "es", "tbptt");
        var output = new Option<string>("--out") { Description = "Output directory.", DefaultValueFactory = _ => "meta-train" };
        var resume = new Option<bool>("--resume") { Description = "Continue from the newest valid checkpoint in --out (uses --out/config.json)." };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of every random draw of the run (overrides the config's)." };
        var iterations = new Option<int?>("--iterations") { Description = "Meta-iterations (overrides the config's metaIterations)." };
        var backendOption = BackendOption.Create("cpu");
        backendOption.Description = "cpu (default), cuda or auto: where batched ES/PES unrolls run (config \"unroll\": \"batched\") and where TBPTT runs its per-coordinate forward and adjoint; per-slot ES/PES unrolls always run on the CPU.";
        var cluster = new ClusterRunOptions();
        var cmd = new Command("meta-train", "Meta-train the HRNN learned optimizer (PES, ES or TBPTT) with checkpoints and resume.");
        foreach (var o in new Option[] { config, estimator, output, resume, seed, iterations, backendOption }.Concat(cluster.All)) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var dir = parse.GetValue(output)!;
            var configPath = Path.Combine(dir, MetaTrainer.ConfigFile);
            MetaTrainingConfig cfg;
            if (parse.GetValue(resume))
            {
                if (parse.GetValue(config) != null || parse.GetValue(estimator) != null || parse.GetValue(seed) != null)
                    throw new CliError($"--resume continues with {configPath}; --config, --estimator and --seed cannot be combined with it.");
                if (!File.Exists(configPath)) throw new CliError($"--resume: {configPath} does not exist (nothing to resume in --out {dir}).");
                cfg = MetaTrainingConfig.Load(configPath);
                if (parse.GetValue(iterations) is { } more)
                {
                    cfg = cfg with { MetaIterations = more };
                    cfg.Validate("--iterations");
                    CheckpointStore.AtomicWrite(configPath, System.Text.Encoding.UTF8.GetBytes(cfg.ToJson() + "\n"));
                }
            }
            else
            {
                cfg = parse.GetValue(config) is { } p ? MetaTrainingConfig.Load(p) : MetaTrainingConfig.Default;
                if (parse.GetValue(estimator) is { } e) cfg = cfg with { Estimator = e };
                if (parse.GetValue(seed) is { } s) cfg = cfg with { Seed = s };
                if (parse.GetValue(iterations) is { } n) cfg = cfg with { MetaIterations = n };
                cfg.Validate("config");
                if (Directory.Exists(Path.Combine(dir, "checkpoints")) && Directory.EnumerateFiles(Path.Combine(dir, "checkpoints")).Any())
                    throw new CliError($"--out {dir} already holds checkpoints; pass --resume to continue, or choose another --out.");
            }

            bool batched = cfg.Unroll == MetaTrainingConfig.BatchedUnroll;
            // Per-slot: trajectories run in parallel in managed code, one OpenMP thread each. Batched:
            // the grouped step and the problem batches use the OpenMP threads (or the GPU).
            using var backend = BackendSelector.CreateCpu(threads: batched ? cfg.EffectiveThreads : 1);
            bool tbptt = cfg.Estimator == "tbptt";
            using var unrollBackend = BackendOption.Open(parse, backendOption, quiet: !batched && !tbptt);
            bool onCpu = unrollBackend.Kind == BackendKind.Cpu;
            if (!onCpu && !batched && !tbptt)
                throw new CliError($"--backend {parse.GetValue(backendOption)}: ES/PES meta-training runs on {unrollBackend.Kind} only with \"unroll\": \"batched\" in the config; per-slot ES/PES unrolls run on the CPU (tbptt runs its per-coordinate work on the backend).");
            using var session = cluster.Start(parse, cfg, dir);
            using var trainer = new MetaTrainer(cfg, dir, backend, onCpu ? backend : unrollBackend, session?.Runner);
            Directory.CreateDirectory(dir);
            var json = cfg.ToJson();
            if (!parse.GetValue(resume)) CheckpointStore.AtomicWrite(configPath, System.Text.Encoding.UTF8.GetBytes(json + "\n"));
            trainer.Log = m => Console.WriteLine(m);
            if (parse.GetValue(resume) && !trainer.Resume())
                Console.WriteLine("no valid checkpoint found: starting from meta-iteration 0");
            Console.WriteLine($"meta-train: estimator {cfg.Estimator}, {cfg.Slots} problems per meta-iteration from {trainer.TrainingProblems} ensemble entries (<= {cfg.MaxParameters} parameters), " +
                              $"{trainer.Vector.Length} meta-parameters, {cfg.EffectiveThreads} threads, {cfg.Unroll} unrolls{(batched || (tbptt && !onCpu) ? $" on {unrollBackend.Kind}" : "")}, out {dir}");
            if (trainer.LeftOutEntries.Count > 0)
                Console.WriteLine($"batched unrolls: {trainer.LeftOutEntries.Count} entries without a batched problem on {unrollBackend.Kind} are left out: {string.Join(", ", trainer.LeftOutEntries)}");
            var lastPrint = DateTime.MinValue;
            long first = trainer.Iteration;
            trainer.OnIteration = r =>
            {
                if (r.Validation == null && r.Iteration != r.TotalIterations && (DateTime.UtcNow - lastPrint).TotalSeconds < 2) return;
                lastPrint = DateTime.UtcNow;
                Console.WriteLine(Progress(r, r.Iteration - first) + (session != null ? $"  workers {session.Shares()}" : ""));
            };
            trainer.Run();
            var png = Path.Combine(dir, "meta-loss.png");
            MetaLossPlot.Write(Path.Combine(dir, MetaTrainer.MetricsFile), png);
            Console.WriteLine($"done: {Path.Combine(dir, MetaTrainer.FinalWeightsFile)} (last), {Path.Combine(dir, MetaTrainer.BestWeightsFile)} " +
                              $"({(double.IsFinite(trainer.BestValidation) ? $"best validation {trainer.BestValidation.ToString("F4", CultureInfo.InvariantCulture)}" : "no validation: validationProblems is 0")}), {png}");
            return 0;
        });
        return cmd;
    }

    private static string Progress(MetaIterationReport r, long doneThisRun)
    {
        var eta = TimeSpan.FromSeconds(r.ElapsedSeconds / Math.Max(1, doneThisRun) * (r.TotalIterations - r.Iteration));
        var c = CultureInfo.InvariantCulture;
        string val = r.Validation is { } v ? $"  validation {v.ToString("F4", c)}{(r.IsBest ? " (best)" : "")}" : "";
        return $"iter {r.Iteration}/{r.TotalIterations}  meta-loss {r.MetaLoss.ToString("F4", c)}  |g| {r.GradientNorm.ToString("G3", c)}" +
               $"  {r.InnerStepsPerSecond.ToString("F0", c)} inner steps/s  ETA {eta:hh\\:mm\\:ss}{val}";
    }
}
