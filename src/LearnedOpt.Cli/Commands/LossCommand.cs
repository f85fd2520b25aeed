using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LearnedOpt.IO;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks;

namespace LearnedOpt.Cli.Commands;

/// <summary>
/// lopt loss: the exact, noise-free full-data loss of one task instance (seed fixes coefficients
/// and data) at the point in --params, or at its sampled initial point, and optionally its
/// gradient written as F32 tensors under the parameters' names.
/// </summary>
public sealed class LossCommand : ICommandFactory
{
    public Command Create()
    {
        var task = new Option<string>("--task") { Description = "Task name (see 'lopt tasks')", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Instance seed: fixes coefficients and data (and the initial point)", DefaultValueFactory = _ => 0UL };
        var paramsFile = new Option<string?>("--params") { Description = "Point to evaluate: safetensors with one F32 tensor per task parameter" };
        var outFile = new Option<string?>("--out") { Description = "Write the gradient here (safetensors, the parameters' names)" };
        var json = new Option<bool>("--json") { Description = "Print {\"loss\": ...}" };
        var cmd = new Command("loss", "Evaluate a task's loss and gradient at a point.");
        foreach (var o in new Option[] { task, seed, paramsFile, outFile, json }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var entry = TaskRegistry.Get(parse.GetValue(task)!);
            ulong s = parse.GetValue(seed);
            var instance = entry.Build(s);
            var theta = parse.GetValue(paramsFile) is { } p
                ? ReadPoint(instance, p)
                : instance.SampleInitialPoint(new Rng(s).Fork("init"));
            var grads = instance.Parameters.Select(t => new double[t.Length]).ToArray();
            double loss = instance.Loss(theta, grads);

            if (parse.GetValue(outFile) is { } o)
                SafeTensorsFile.Write(o, instance.Parameters.Select((t, i) => SafeTensor.FromFloats(t.Name, t.Shape, grads[i].Select(v => (float)v).ToArray())),
                    new Dictionary<string, string> { ["format"] = "learnedopt-gradient", ["task"] = instance.Name, ["seed"] = s.ToString(CultureInfo.InvariantCulture) });

            if (parse.GetValue(json))
            {
                using var stream = new MemoryStream();
                using (var w = new Utf8JsonWriter(stream))
                {
                    w.WriteStartObject();
                    if (double.IsFinite(loss)) w.WriteNumber("loss", loss);
                    else w.WriteNull("loss");
                    w.WriteEndObject();
                }
                Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
            }
            else
            {
                Console.Out.WriteLine($"{instance.Name} (seed {s}): loss = {loss.ToString("R", CultureInfo.InvariantCulture)}");
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>The task's parameters from the file, each an F32 tensor of exactly the task's shape.</summary>
    private static double[][] ReadPoint(ITask task, string path)
    {
        var doc = SafeTensorsFile.Read(path);
        var known = task.Parameters.Select(t => t.Name).ToHashSet();
        var extra = doc.Tensors.FirstOrDefault(t => !known.Contains(t.Name));
        if (extra != null)
            throw new CliError($"{path}: tensor '{extra.Name}' is not a parameter of task '{task.Name}' (its parameters: {string.Join(", ", known)}).");
        return task.Parameters.Select(spec =>
        {
            var t = doc.Find(spec.Name) ?? throw new CliError($"{path}: tensor '{spec.Name}' of task '{task.Name}' is missing.");
            if (t.DType != SafeTensorDType.F32)
                throw new CliError($"{path}: tensor '{spec.Name}' has dtype {t.DType}, F32 is expected.");
            if (!t.Shape.SequenceEqual(spec.Shape))
                throw new CliError($"{path}: tensor '{spec.Name}' has shape {t.ShapeText}, task '{task.Name}' needs [{string.Join(", ", spec.Shape)}].");
            return t.ToDoubles();
        }).ToArray();
    }
}
