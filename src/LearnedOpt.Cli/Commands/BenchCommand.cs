using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LearnedOpt.Backends;
using LearnedOpt.Optimizers;
using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Cli.Commands;

/// <summary>
/// lopt bench: the fused optimizer step's ns/parameter and effective GB/s beside the copy kernel's
/// bandwidth measured in the same run (and Adam's, for the ratio), on one backend.
/// </summary>
public sealed class BenchCommand : ICommandFactory
{
    public Command Create()
    {
        var optimizer = new Option<string>("--optimizer") { Description = "Optimizer to time", DefaultValueFactory = _ => "adam" };
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated parameter counts (1e6 notation allowed)", DefaultValueFactory = _ => "1e6,1e7,1e8" };
        var json = new Option<bool>("--json") { Description = "One JSON object per line: optimizer, backend, size, ns_per_param, gbps, copy_gbps" };
        var weights = new Option<string?>("--weights") { Description = "Learned optimizer weights (hrnn); fresh initial weights when omitted" };
        var seconds = new Option<double>("--seconds") { Description = "Target timing time per measurement", DefaultValueFactory = _ => 0.5 };
        var suite = new Option<string>("--suite") { Description = "optimizers (the fused step), tasks (batched loss + gradient throughput) or meta (meta-gradients per second and their time split)", DefaultValueFactory = _ => "optimizers" };
        suite.AcceptOnlyFromAmong("optimizers", "tasks", "meta");
        var config = new Option<string?>("--config") { Description = "meta suite: the meta-training config to time (default: the embedded default config)" };
        var estimators = new Option<string?>("--estimators") { Description = "meta suite: comma-separated estimators (default tbptt,es,pes; es,pes for a batched config)" };
        var iterations = new Option<int>("--iterations") { Description = "meta suite: timed meta-iterations per estimator (after one warm-up)", DefaultValueFactory = _ => 5 };
        var cluster = new Option<bool>("--cluster") { Description = "meta suite: PES pairs on 1..N local Orleans worker processes against one process (--workers)" };
        var workers = new Option<string>("--workers") { Description = "meta suite with --cluster: comma-separated worker counts", DefaultValueFactory = _ => "1,2,3" };
        var backend = BackendOption.Create();
        var cmd = new Command("bench", "Time the fused optimizer step against a copy kernel (and Adam) on one backend, or the batched task evaluation.");
        foreach (var o in new Option[] { optimizer, sizes, json, weights, seconds, suite, backend, config, estimators, iterations, cluster, workers }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            if (parse.GetValue(suite) == "meta" && parse.GetValue(cluster))
            {
                ClusterBench.Run(parse.GetValue(config), parse.GetValue(workers)!, parse.GetValue(iterations), parse.GetValue(json));
                return 0;
            }
            if (parse.GetValue(cluster)) throw new CliError("--cluster: only with --suite meta.");
            if (parse.GetValue(suite) == "meta")
            {
                using var metaEngine = BackendOption.Open(parse, backend, quiet: parse.GetValue(json));
                MetaBench.Run(metaEngine, parse.GetValue(config), parse.GetValue(estimators), parse.GetValue(iterations), parse.GetValue(json));
                return 0;
            }
            if (parse.GetValue(suite) == "tasks")
            {
                using var taskEngine = BackendOption.Open(parse, backend, quiet: parse.GetValue(json));
                TaskThroughput(taskEngine, parse.GetValue(json));
                return 0;
            }
            var kind = OptimizerNames.Parse(parse.GetValue(optimizer)!);
            var counts = ParseSizes(parse.GetValue(sizes)!);
            double target = parse.GetValue(seconds);
            if (!(target > 0)) throw new CliError($"--seconds {target} must be > 0.");
            using var engine = BackendOption.Open(parse, backend, quiet: parse.GetValue(json));
            using var freshWeights = kind == OptimizerKind.Hrnn && parse.GetValue(weights) == null ? new TemporaryHrnnWeights() : null;
            var weightsPath = parse.GetValue(weights) ?? freshWeights?.Path;
            bool asJson = parse.GetValue(json);
            if (!asJson)
                Console.WriteLine($"{"optimizer",-10} {"backend",-7} {"size",12} {"ns/param",10} {"GB/s",9} {"copy GB/s",10} {"of copy",8} {"vs adam",8}");
            foreach (var n in counts)
            {
                var r = Measure(engine, kind, n, target, weightsPath);
                if (asJson)
                {
                    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                    {
                        ["optimizer"] = OptimizerNames.Name(kind), ["backend"] = engine.Kind.ToString().ToLowerInvariant(),
                        ["size"] = n, ["ns_per_param"] = r.NsPerParam, ["gbps"] = r.Gbps, ["copy_gbps"] = r.CopyGbps,
                        ["bytes_per_param"] = r.BytesPerParam, ["adam_ns_per_param"] = r.AdamNsPerParam,
                    }));
                }
                else
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{OptimizerNames.Name(kind),-10} {engine.Kind.ToString().ToLowerInvariant(),-7} {n,12} {r.NsPerParam,10:F4} {r.Gbps,9:F1} {r.CopyGbps,10:F1} {r.Gbps / r.CopyGbps,8:P0} {r.NsPerParam / r.AdamNsPerParam,8:F2}"));
                }
            }
            return 0;
        });
        return cmd;
    }

    // Batched loss + gradient of many instances of one family: instance·parameters per second.
    private static void TaskThroughput(IBackend engine, bool asJson)
    {
        var cases = new List<(string Name, Func<double> Run)>
        {
            ("quadratic-20 x 1000", () => LearnedOpt.Tasks.Batched.BatchedThroughput.Quadratic(engine, 20, 1000)),
            ("quadratic-100 x 256", () => LearnedOpt.Tasks.Batched.BatchedThroughput.Quadratic(engine, 100, 256)),
        };
        cases.Add(("logistic-100 x 64", () => LearnedOpt.Tasks.Batched.BatchedThroughput.Classifier(engine, "logistic-100", 64)));
        cases.Add(("mlp-8-32x64 x 64", () => LearnedOpt.Tasks.Batched.BatchedThroughput.Classifier(engine, "mlp-8-32x64", 64)));
        // Training steps through the meta-training factory: wrappers, noise, masks and MatMul included.
        foreach (var (entry, count) in new[] { ("log-quadratic-20", 1000), ("sparse-bowl-1", 10000), ("rescale-norm-18-2", 1000), ("matmul-2-8", 256) })
            cases.Add(($"{entry} x {count}", () => LearnedOpt.Tasks.Batched.BatchedThroughput.TrainingSteps(engine, entry, count)));
        if (!asJson) Console.WriteLine($"{"batch",-26} {"backend",-7} {"instance-params/s",18}");
        foreach (var (name, run) in cases)
        {
            double rate = run();
            Console.WriteLine(asJson
                ? JsonSerializer.Serialize(new Dictionary<string, object> { ["batch"] = name, ["backend"] = engine.Kind.ToString().ToLowerInvariant(), ["instance_params_per_s"] = rate })
                : string.Create(CultureInfo.InvariantCulture, $"{name,-26} {engine.Kind.ToString().ToLowerInvariant(),-7} {rate,18:E3}"));
        }
    }

    public sealed record Result(double NsPerParam, double Gbps, double CopyGbps, double BytesPerParam, double AdamNsPerParam);

    /// <summary>Times one optimizer step on n parameters, the copy kernel, and Adam, in one process on one backend.</summary>
    public static Result Measure(IBackend engine, OptimizerKind kind, long n, double targetSeconds, string? weights)
    {
        using var p = engine.Allocate(n);
        using var g = engine.Allocate(n);
        var rng = new Rng(1);
        var host = new float[n];
        for (long i = 0; i < n; i++) host[i] = (float)rng.NextGaussian();
        engine.CopyFromHost(host, p.View);
        for (long i = 0; i < n; i++) host[i] = (float)(1e-2 * rng.NextGaussian());
        engine.CopyFromHost(host, g.View);

        double copyMs = Time(engine, () => engine.Copy(g.View, p.View), targetSeconds);
        // The copy wrote p into g; restore a gradient-like g (values don't change the timing of the step).
        engine.CopyFromHost(host, g.View);
        double copyGbps = 2.0 * sizeof(float) * n / (copyMs * 1e6);

        var (ns, bytes) = TimeStep(engine, kind, n, p, g, targetSeconds, weights);
        double adamNs = kind == OptimizerKind.Adam ? ns : TimeStep(engine, OptimizerKind.Adam, n, p, g, targetSeconds, null).Ns;
        return new Result(ns, bytes / ns, copyGbps, bytes, adamNs);
    }

    private static (double Ns, double Bytes) TimeStep(IBackend engine, OptimizerKind kind, long n, DeviceBuffer p, DeviceBuffer g, double targetSeconds, string? weights)
    {
        var hp = HyperParameters.Defaults(kind);
        if (kind is OptimizerKind.PowerSign or OptimizerKind.AddSign) hp = hp with { Lr = 1e-6f };
        // Celo plans for N steps and factors matrices: time it on a (n/1024) x 1024 weight where n allows.
        if (kind == OptimizerKind.Celo) hp = hp with { TotalSteps = 1000 };
        var spec = kind == OptimizerKind.Celo && n % 1024 == 0 && n >= 2048 ? new TensorSpec("w", [n / 1024, 1024]) : new TensorSpec("w", n);
        using var opt = OptimizerFactory.Create(kind, engine, [spec], hp, weights);
        TensorView[] pv = [p.View], gv = [g.View];
        double ms = Time(engine, () => { opt.ObserveLoss(1f); opt.Step(pv, gv); }, targetSeconds);
        return (ms * 1e6 / n, opt.BytesPerParameter);
    }

    // Calibrate the repetition count from one timed run so each measurement lasts about targetSeconds.
    private static double Time(IBackend engine, Action work, double targetSeconds)
    {
        double once = engine.TimeMilliseconds(work, 1);
        int reps = (int)Math.Clamp(targetSeconds * 1e3 / Math.Max(once, 1e-3), 3, 10_000);
        return engine.TimeMilliseconds(work, reps);
    }

    /// <summary>Freshly initialised HRNN weights (seed 0) in a temporary file, for timing without a trained file.</summary>
    private sealed class TemporaryHrnnWeights : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"lopt-bench-hrnn-{Guid.NewGuid():N}.safetensors");

        public TemporaryHrnnWeights() => LearnedOpt.Optimizers.Hrnn.HrnnWeightInit.Create(0).Save(Path);

        public void Dispose() => File.Delete(Path);
    }

    public static long[] ParseSizes(string text)
    {
        var result = new List<long>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < 1 || v > 4e9 || v != Math.Floor(v))
                throw new CliError($"--sizes: '{part}' is not a whole parameter count between 1 and 4e9.");
            result.Add((long)v);
        }
        if (result.Count == 0) throw new CliError("--sizes is empty.");
        return result.ToArray();
    }
}
