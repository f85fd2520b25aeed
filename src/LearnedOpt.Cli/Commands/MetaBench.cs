using System.Globalization;
using System.Text.Json;
using LearnedOpt.Backends;
using LearnedOpt.MetaTraining;

namespace LearnedOpt.Cli.Commands;

/// <summary>lopt bench --suite meta: meta-gradients per second per estimator and the time split of their unrolls.</summary>
internal static class MetaBench
{
    public static void Run(IBackend engine, string? configPath, string? estimatorList, int iterations, bool asJson)
    {
        if (iterations < 1) throw new CliError($"--iterations {iterations} must be >= 1.");
        var config = configPath is { } p ? MetaTrainingConfig.Load(p) : MetaTrainingConfig.Default;
        bool batched = config.Unroll == MetaTrainingConfig.BatchedUnroll, onDevice = engine.Kind != BackendKind.Cpu;
        // Batched unrolls serve ES/PES; TBPTT unrolls per slot, with its per-coordinate work on the backend;
        // per-slot ES/PES run on the CPU only.
        estimatorList ??= batched ? "es,pes" : onDevice ? "tbptt" : "tbptt,es,pes";
        var names = estimatorList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new CliError("--estimators is empty.");
        foreach (var n in names)
            if (n is not ("tbptt" or "es" or "pes")) throw new CliError($"--estimators: '{n}' is not tbptt, es or pes.");
            else if (batched && n == "tbptt") throw new CliError("--estimators: tbptt has no batched unrolls; time it with a per-slot config.");
            else if (!batched && onDevice && n != "tbptt")
                throw new CliError($"--estimators: {n} with per-slot unrolls runs on the CPU only; time it on {engine.Kind.ToString().ToLowerInvariant()} with a config that has \"unroll\": \"batched\".");
        if (!asJson)
            Console.WriteLine($"{"estimator",-9} {"backend",-7} {"unroll",-8} {"slots",5} {"meta-grads/s",12} {"problem-steps/s",15} {"inner-steps/s",13} {"optimizer",9} {"task",6} {"backward",8}");
        foreach (var name in names)
        {
            var r = MetaGradientThroughput.Measure(engine, config with { Estimator = name }, iterations);
            double Share(UnrollPhase phase) => r.Shares[phase];
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["estimator"] = r.Estimator, ["backend"] = r.Backend, ["unroll"] = r.Unroll, ["slots"] = r.Slots, ["iterations"] = r.Iterations,
                    ["seconds"] = r.Seconds, ["meta_gradients_per_s"] = r.MetaGradientsPerSecond,
                    ["problem_steps_per_s"] = r.ProblemStepsPerSecond, ["inner_steps_per_s"] = r.InnerStepsPerSecond,
                    ["share_optimizer_step"] = Share(UnrollPhase.OptimizerStep), ["share_task"] = Share(UnrollPhase.Task),
                    ["share_backward"] = Share(UnrollPhase.Backward),
                }));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Estimator,-9} {r.Backend,-7} {r.Unroll,-8} {r.Slots,5} {r.MetaGradientsPerSecond,12:F2} {r.ProblemStepsPerSecond,15:F0} {r.InnerStepsPerSecond,13:F0} {Share(UnrollPhase.OptimizerStep),9:P0} {Share(UnrollPhase.Task),6:P0} {Share(UnrollPhase.Backward),8:P0}"));
            }
        }
    }
}
