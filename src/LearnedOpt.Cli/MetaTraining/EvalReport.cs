using System.Globalization;
using System.Text;
using System.Text.Json;
using LearnedOpt.MetaTraining.Evaluation;

namespace LearnedOpt.Cli.MetaTraining;

/// <summary>The eval command's outputs: a Markdown table, JSON, and per-task loss-curve PNGs.</summary>
public static class EvalReport
{
    private static string F(double v, string format = "F3") => v.ToString(format, CultureInfo.InvariantCulture);

    public static string Table(IReadOnlyList<TaskResult> results, string weights, int seeds)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Final log10 loss, mean ± standard error over {seeds} held-out seeds (weights: {weights}); baseline learning rates tuned per task on separate seeds.");
        sb.AppendLine();
        sb.AppendLine("| task | group | steps | hrnn | adam (lr) | rmsprop (lr) | sgd-momentum (lr) | best baseline | hrnn vs best |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            if (r.Skipped != null)
            {
                sb.AppendLine($"| {r.Task} | {r.Group} | {r.Steps} | skipped: {r.Skipped} | | | | | |");
                continue;
            }
            string Cell(string name)
            {
                var o = r.Optimizers.First(x => x.Optimizer == name);
                return $"{F(o.Mean)} ± {F(o.StdErr)}" + (o.LearningRate is { } lr ? $" ({F(lr, "G2")})" : "");
            }
            sb.AppendLine($"| {r.Task} | {r.Group} | {r.Steps} | {Cell("hrnn")} | {Cell("adam")} | {Cell("rmsprop")} | {Cell("sgd-momentum")} | {r.BestBaseline!.Optimizer} | {r.Verdict.ToString()!.ToLowerInvariant()} |");
        }
        var done = results.Where(r => r.Verdict != null).ToList();
        sb.AppendLine();
        sb.AppendLine($"HRNN vs the best tuned baseline: {done.Count(r => r.Verdict == Verdict.Win)} wins, {done.Count(r => r.Verdict == Verdict.Tie)} ties, {done.Count(r => r.Verdict == Verdict.Loss)} losses (win/loss: difference beyond 2 standard errors).");
        return sb.ToString();
    }

    public static string Json(IReadOnlyList<TaskResult> results, string weights, int seeds, int steps)
    {
        using var s = new MemoryStream();
        using (var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("weights", weights);
            w.WriteNumber("seeds", seeds);
            w.WriteNumber("steps", steps);
            w.WriteStartArray("tasks");
            foreach (var r in results)
            {
                w.WriteStartObject();
                w.WriteString("task", r.Task);
                w.WriteString("group", r.Group);
                w.WriteNumber("steps", r.Steps);
                if (r.Skipped != null) w.WriteString("skipped", r.Skipped);
                if (r.Verdict is { } v) { w.WriteString("verdict", v.ToString().ToLowerInvariant()); w.WriteString("bestBaseline", r.BestBaseline!.Optimizer); }
                w.WriteStartArray("optimizers");
                foreach (var o in r.Optimizers)
                {
                    w.WriteStartObject();
                    w.WriteString("optimizer", o.Optimizer);
                    if (o.LearningRate is { } lr) w.WriteNumber("learningRate", lr);
                    w.WriteNumber("meanFinalLog10", o.Mean);
                    w.WriteNumber("stdErr", o.StdErr);
                    w.WriteStartArray("finalLog10");
                    foreach (var x in o.FinalLog10) w.WriteNumberValue(x);
                    w.WriteEndArray();
                    w.WriteStartArray("curveLog10");
                    foreach (var x in o.CurveLog10) w.WriteNumberValue(x);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(s.ToArray());
    }

    /// <summary>Seed-mean log10 loss per step of every optimizer on one task.</summary>
    public static void Plot(TaskResult r, string path)
    {
        var plot = new ScottPlot.Plot();
        plot.Title($"{r.Task}: mean log10 loss over seeds");
        plot.XLabel("step");
        plot.YLabel("log10 loss");
        var colors = new Dictionary<string, ScottPlot.Color>
        {
            ["hrnn"] = ScottPlot.Colors.Crimson, ["adam"] = ScottPlot.Colors.SteelBlue,
            ["rmsprop"] = ScottPlot.Colors.SeaGreen, ["sgd-momentum"] = ScottPlot.Colors.DarkOrange,
        };
        foreach (var o in r.Optimizers)
        {
            var line = plot.Add.ScatterLine(Enumerable.Range(0, o.CurveLog10.Length).Select(i => (double)i).ToArray(), o.CurveLog10);
            line.LegendText = o.LearningRate is { } lr ? $"{o.Optimizer} (lr {F(lr, "G2")})" : o.Optimizer;
            line.Color = colors.GetValueOrDefault(o.Optimizer, ScottPlot.Colors.Gray);
            line.LineWidth = o.Optimizer == "hrnn" ? 3 : 2;
        }
        plot.ShowLegend(ScottPlot.Alignment.UpperRight); // loss curves fall: the upper right is the empty corner
        plot.SavePng(path, 900, 540);
    }
}
