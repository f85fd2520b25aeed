using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LearnedOpt.Backends;
using LearnedOpt.IO;
using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Cli.Commands;

/// <summary>
/// <c>lopt meta-grad --weights W --problem Q --unroll T [--first-order] --out G [--json] [--backend cpu|cuda]</c>:
/// the exact TBPTT meta-gradient of the log meta-objective of a T-step HRNN unroll on f(x) = ½‖Ax − b‖²
/// (docs/meta-grad.md). G holds every weight tensor's gradient, unfiltered, in F32. The per-coordinate
/// work runs in float64 on the chosen backend (default cpu); the output contract is the same.
/// </summary>
public sealed class MetaGradCommand : ICommandFactory
{
    public Command Create()
    {
        var weights = new Option<string>("--weights") { Description = "HRNN weights (safetensors, docs/hrnn.md).", Required = true };
        var problem = new Option<string>("--problem") { Description = "Problem: A (m×n), b (m), x0 (n), F32 or F64.", Required = true };
        var unroll = new Option<int>("--unroll") { Description = "Number of HRNN steps T (>= 1).", Required = true };
        var firstOrder = new Option<bool>("--first-order") { Description = "Treat the inner gradient as a constant input (no Hessian terms)." };
        var output = new Option<string>("--out") { Description = "Gradient file to write (safetensors, the weight file's names and shapes, F32).", Required = true };
        var checkpoint = new Option<int>("--checkpoint-every")
        {
            Description = "Replay the backward from a checkpoint every k steps (0: one tape). Same result, less memory.",
            DefaultValueFactory = _ => 0,
        };
        var json = new Option<bool>("--json") { Description = "Print {\"meta_loss\": M}." };
        // Default cpu, not auto: the gradient file should not change with the machine it runs on.
        var backend = BackendOption.Create("cpu");
        var cmd = new Command("meta-grad", "Exact meta-gradient (truncated BPTT) of an HRNN unroll on a least-squares problem.");
        foreach (var o in new Option[] { weights, problem, unroll, firstOrder, output, checkpoint, json, backend }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            int steps = parse.GetValue(unroll);
            if (steps < 1) throw new CliError($"--unroll: {steps} is not a step count >= 1.");
            int every = parse.GetValue(checkpoint);
            if (every < 0) throw new CliError($"--checkpoint-every: {every} must be >= 0.");
            var w = HrnnWeights.Load(parse.GetValue(weights)!);
            var problemPath = parse.GetValue(problem)!;
            var (task, x0) = ReadProblem(SafeTensorsFile.Read(problemPath), problemPath);

            double f0 = task.Loss([x0], null);
            using var device = BackendOption.Open(parse, backend, quiet: parse.GetValue(json));
            using var engine = HrnnCoordinateEngine.For(device);
            // The summary line reports the time split (optimizer step / task / backward).
            var phases = new PhaseTimer();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            TbpttResult result;
            using (parse.GetValue(json) ? null : PhaseTimer.Install(phases))
                result = TbpttMetaGradient.Compute(w, new TbpttProblem(task, [x0], f0),
                    new TbpttOptions(steps, parse.GetValue(firstOrder), every), engine);
            double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            var outPath = parse.GetValue(output)!;
            SafeTensorsFile.Write(outPath, result.Gradient.ToTensors(), new Dictionary<string, string>
            {
                ["format"] = "learnedopt-hrnn-meta-gradient",
                ["version"] = "1",
                ["unroll"] = steps.ToString(CultureInfo.InvariantCulture),
                ["first_order"] = parse.GetValue(firstOrder) ? "true" : "false",
            });

            double m = result.MetaLoss;
            if (parse.GetValue(json))
            {
                using var stream = new MemoryStream();
                using (var jw = new Utf8JsonWriter(stream))
                {
                    jw.WriteStartObject();
                    if (double.IsFinite(m)) jw.WriteNumber("meta_loss", m);
                    else jw.WriteNull("meta_loss");
                    jw.WriteEndObject();
                }
                Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
            }
            else
            {
                Console.Out.WriteLine($"meta_loss = {m.ToString("R", CultureInfo.InvariantCulture)}");
                Console.Error.WriteLine($"meta-grad: {steps} steps on A ({task.M}×{task.N}), {(parse.GetValue(firstOrder) ? "first order" : "second order")}; " +
                                        $"f(x0) = {f0.ToString("R", CultureInfo.InvariantCulture)}, f(x_T) = {result.Losses[^1].ToString("R", CultureInfo.InvariantCulture)}; " +
                                        $"{seconds:F3} s ({steps / seconds:F1} steps/s with backward; {Shares(phases)}); wrote {outPath}");
            }
            return 0;
        });
        return cmd;
    }

    private static string Shares(PhaseTimer timer)
    {
        var s = timer.Shares();
        return string.Create(CultureInfo.InvariantCulture,
            $"optimizer step {s[UnrollPhase.OptimizerStep]:P0}, task {s[UnrollPhase.Task]:P0}, backward {s[UnrollPhase.Backward]:P0}");
    }

    /// <summary>Reads A (m×n), b (m) and x0 (n) from a problem file, checking names, shapes and finiteness.</summary>
    internal static (LeastSquaresTask Task, double[] X0) ReadProblem(SafeTensorsFile.Document doc, string source)
    {
        var extra = doc.Tensors.FirstOrDefault(t => t.Name is not ("A" or "b" or "x0"));
        if (extra != null) throw new InvalidDataException($"{source}: unexpected tensor '{extra.Name}'; a meta-grad problem holds A, b and x0.");
        var a = doc.Get("A", source);
        if (a.Shape.Length != 2 || a.Shape[0] < 1 || a.Shape[1] < 1)
            throw new InvalidDataException($"{source}: tensor 'A' has shape {a.ShapeText}, expected a non-empty matrix [m, n].");
        int m = checked((int)a.Shape[0]), n = checked((int)a.Shape[1]);
        var b = doc.Get("b", source);
        if (!b.Shape.SequenceEqual(new long[] { m })) throw new InvalidDataException($"{source}: tensor 'b' has shape {b.ShapeText}, expected [{m}] (the rows of A).");
        var x0 = doc.Get("x0", source);
        if (!x0.Shape.SequenceEqual(new long[] { n })) throw new InvalidDataException($"{source}: tensor 'x0' has shape {x0.ShapeText}, expected [{n}] (the columns of A).");
        var values = new[] { a, b, x0 }.Select(t =>
        {
            if (t.DType == SafeTensorDType.I64) throw new InvalidDataException($"{source}: tensor '{t.Name}' has dtype I64; expected F32 or F64.");
            var v = t.ToDoubles();
            int bad = Array.FindIndex(v, x => !double.IsFinite(x));
            if (bad >= 0) throw new InvalidDataException($"{source}: tensor '{t.Name}' holds a non-finite value ({v[bad]}) at index {bad}.");
            return v;
        }).ToArray();
        return (new LeastSquaresTask(values[0], values[1], m, n), values[2]);
    }
}
