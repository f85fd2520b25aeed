using System.CommandLine;
using System.Globalization;
using LearnedOpt.Backends;
using LearnedOpt.IO;
using LearnedOpt.Optimizers;
using LearnedOpt.Tensors;

namespace LearnedOpt.Cli.Commands;

/// <summary>
/// lopt replay: applies an optimizer to the tensors of P, feeding at step t the gradient
/// "&lt;name&gt;/&lt;t&gt;" of G, and writes the parameters after every step as "&lt;name&gt;/&lt;t&gt;" to U.
/// Makes any optimizer checkable against any other implementation (docs/formats.md).
/// </summary>
public sealed class ReplayCommand : ICommandFactory
{
    public Command Create()
    {
        var optimizer = new Option<string>("--optimizer") { Description = $"One of: {string.Join(", ", OptimizerNames.All)}", Required = true };
        var paramsFile = new Option<string>("--params") { Description = "Initial parameters (safetensors, F32 tensors <name>)", Required = true };
        var gradsFile = new Option<string>("--grads") { Description = "Gradients <name>/<t>, t = 1..T (safetensors)", Required = true };
        var outFile = new Option<string>("--out") { Description = "Output: parameters after each step, <name>/<t>", Required = true };
        var weights = new Option<string?>("--weights") { Description = "Learned optimizer weights (hrnn: the shipped weights when omitted; celo)" };
        var lossesFile = new Option<string?>("--losses") { Description = "Loss at each step: one tensor 'loss' of shape [T] (safetensors; required by celo)" };
        var stateIn = new Option<string?>("--state-in") { Description = "Optimizer state to start from (the optimizer's state contract)" };
        var stateOut = new Option<string?>("--state-out") { Description = "Write the final optimizer state here" };
        var backend = BackendOption.Create();
        var hp = new HyperParameterOptions();

        var cmd = new Command("replay", "Replay an optimizer on recorded gradients and write the parameter trajectory.");
        foreach (var o in new Option[] { optimizer, paramsFile, gradsFile, outFile, weights, lossesFile, stateIn, stateOut, backend }) cmd.Options.Add(o);
        hp.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            var kind = OptimizerNames.Parse(parse.GetValue(optimizer)!);
            var hyper = hp.Read(parse, kind);
            var p = SafeTensorsFile.Read(parse.GetValue(paramsFile)!);
            var g = SafeTensorsFile.Read(parse.GetValue(gradsFile)!);
            var plan = ReplayPlan.Build(p, g, parse.GetValue(paramsFile)!, parse.GetValue(gradsFile)!);
            var losses = parse.GetValue(lossesFile) is { } lf ? ReadLosses(lf, plan.Steps) : null;

            using var engine = BackendOption.Open(parse, backend);
            using var opt = OptimizerOption.Create(kind, engine, plan.Tensors, hyper, parse.GetValue(weights));
            if (opt.ReadsLoss && losses == null)
                throw new CliError($"{OptimizerNames.Name(kind)} reads the loss: give --losses L.safetensors with one tensor 'loss' of shape [{plan.Steps}].");
            if (parse.GetValue(stateIn) is { } si) opt.LoadState(si);
            var outputs = Run(engine, opt, plan, losses);
            SafeTensorsFile.Write(parse.GetValue(outFile)!, outputs, new Dictionary<string, string>
            {
                ["format"] = "learnedopt-replay",
                ["optimizer"] = OptimizerNames.Name(kind),
                ["steps"] = plan.Steps.ToString(CultureInfo.InvariantCulture),
            });
            if (parse.GetValue(stateOut) is { } so) opt.SaveState(so);
            var skipped = opt.NonFiniteGradients;
            Console.Error.WriteLine($"replay: {plan.Steps} steps of {OptimizerNames.Name(kind)} over {plan.Tensors.Count} tensors" +
                                    (skipped > 0 ? $"; {skipped} non-finite gradient entries skipped" : ""));
            return 0;
        });
        return cmd;
    }

    /// <summary>The tensor 'loss' of shape [steps] from a safetensors file.</summary>
    private static float[] ReadLosses(string path, int steps)
    {
        var doc = SafeTensorsFile.Read(path);
        var t = doc.Find("loss") ?? throw new CliError($"--losses {path}: no tensor 'loss' (expected one tensor 'loss' of shape [{steps}]).");
        if (doc.Tensors.Count != 1) throw new CliError($"--losses {path}: holds {doc.Tensors.Count} tensors; expected only 'loss'.");
        if (t.Shape.Length != 1 || t.Shape[0] != steps)
            throw new CliError($"--losses {path}: tensor 'loss' has shape {t.ShapeText}, expected [{steps}] (one loss per replayed step).");
        return t.ToFloats();
    }

    private static List<SafeTensor> Run(IBackend engine, Optimizer opt, ReplayPlan plan, float[]? losses)
    {
        var outputs = new List<SafeTensor>();
        var pBuf = plan.Tensors.Select(t => engine.Allocate(t.Length)).ToArray();
        var gBuf = plan.Tensors.Select(t => engine.Allocate(t.Length)).ToArray();
        try
        {
            for (int i = 0; i < plan.Tensors.Count; i++) engine.CopyFromHost(plan.Initial[i], pBuf[i].View);
            var pViews = pBuf.Select(b => b.View).ToArray();
            var gViews = gBuf.Select(b => b.View).ToArray();
            for (int t = 1; t <= plan.Steps; t++)
            {
                for (int i = 0; i < plan.Tensors.Count; i++) engine.CopyFromHost(plan.Gradients[i][t - 1], gBuf[i].View);
                if (losses != null) opt.ObserveLoss(losses[t - 1]);
                opt.Step(pViews, gViews);
                for (int i = 0; i < plan.Tensors.Count; i++)
                {
                    var host = new float[plan.Tensors[i].Length];
                    engine.CopyToHost(pBuf[i].View, host);
                    outputs.Add(SafeTensor.FromFloats($"{plan.Tensors[i].Name}/{t}", plan.Tensors[i].Shape, host));
                }
            }
        }
        finally
        {
            foreach (var b in pBuf.Concat(gBuf)) b.Dispose();
        }
        return outputs;
    }
}

/// <summary>The tensors of a replay and their gradients per step, checked for completeness and shape.</summary>
public sealed record ReplayPlan(IReadOnlyList<TensorSpec> Tensors, IReadOnlyList<float[]> Initial, IReadOnlyList<float[][]> Gradients, int Steps)
{
    public static ReplayPlan Build(SafeTensorsFile.Document p, SafeTensorsFile.Document g, string pName, string gName)
    {
        if (p.Tensors.Count == 0) throw new CliError($"{pName} holds no tensors.");
        var byName = p.Tensors.ToDictionary(t => t.Name);
        var steps = new Dictionary<string, Dictionary<int, SafeTensor>>();
        foreach (var t in g.Tensors)
        {
            int slash = t.Name.LastIndexOf('/');
            if (slash <= 0 || !int.TryParse(t.Name[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var step) || step < 1)
                throw new CliError($"{gName}: tensor '{t.Name}' is not named <param>/<t> with t >= 1.");
            var param = t.Name[..slash];
            if (!byName.TryGetValue(param, out var pt))
                throw new CliError($"{gName}: tensor '{t.Name}' has no parameter '{param}' in {pName}.");
            if (!t.Shape.SequenceEqual(pt.Shape))
                throw new CliError($"{gName}: tensor '{t.Name}' has shape {t.ShapeText}, but parameter '{param}' has {pt.ShapeText}.");
            if (!steps.TryGetValue(param, out var d)) steps[param] = d = [];
            d[step] = t;
        }
        int total = steps.Count == 0 ? 0 : steps.Values.Max(d => d.Keys.Max());
        if (total == 0) throw new CliError($"{gName} holds no gradients <param>/<t>.");
        foreach (var pt in p.Tensors)
        {
            if (!steps.TryGetValue(pt.Name, out var d)) throw new CliError($"{gName}: no gradients for parameter '{pt.Name}' (expected '{pt.Name}/1'..'{pt.Name}/{total}').");
            for (int t = 1; t <= total; t++)
                if (!d.ContainsKey(t)) throw new CliError($"{gName}: gradient '{pt.Name}/{t}' is missing (steps run 1..{total}).");
        }
        var tensors = p.Tensors.Select(t => new TensorSpec(t.Name, t.Shape)).ToList();
        var initial = p.Tensors.Select(t => t.ToFloats()).ToList();
        var grads = p.Tensors.Select(t => Enumerable.Range(1, total).Select(s => steps[t.Name][s].ToFloats()).ToArray()).ToList();
        return new ReplayPlan(tensors, initial, grads, total);
    }
}
