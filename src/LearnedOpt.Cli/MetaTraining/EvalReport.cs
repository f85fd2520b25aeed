using System.Globalization;
using System.Text;
using System.Text.Json;
using LearnedOpt.MetaTraining.Evaluation;
using LearnedOpt.Training;

namespace LearnedOpt.Cli.MetaTraining;

/// <summary>The eval command's outputs: a Markdown table, JSON, and per-task loss-curve PNGs.</summary>
public static class EvalReport
{
    private static string F(double v, string format = "F3") => v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>The optimizers in table order: the learned one evaluated (hrnn or celo), then the baselines.</summary>
    private static string[] ColumnsOf(IReadOnlyList<TaskResult> results)
        => [results.SelectMany(r => r.Optimizers).Select(o => o.Optimizer).FirstOrDefault(TaskResult.IsLearned) ?? "hrnn", "adam", "rmsprop", "sgd-momentum"];

    /// <summary>
    /// A Markdown table: one row per task and horizon, the per-optimizer divergence and spike
    /// counts beside the means, and the win/tie/loss tally per horizon.
    /// </summary>
    public static string Table(IReadOnlyList<TaskResult> results, string weights, int seeds)
    {
        var sb = new StringBuilder();
        var columns = ColumnsOf(results);
        string learned = columns[0];
        sb.AppendLine($"Final log10 loss (whole training set), mean ± standard error over {seeds} held-out seeds (weights: {weights}); baseline learning rates tuned per task on separate seeds.");
        sb.AppendLine($"diverged: seeds whose final loss is non-finite or above the initial one; spikes: steps whose training loss exceeds {F(RunHealth.SpikeFactor, "G")}× the running median, summed over seeds (both as {string.Join("/", columns)}).");
        sb.AppendLine();
        sb.AppendLine($"| task | group | steps | {learned} | adam (lr) | rmsprop (lr) | sgd-momentum (lr) | best baseline | {learned} vs best | diverged | spikes |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            if (r.Skipped != null)
            {
                sb.AppendLine($"| {r.Task} | {r.Group} | {r.Steps} | skipped: {r.Skipped} | | | | | | | |");
                continue;
            }
            OptimizerResult Of(string name) => r.Optimizers.First(x => x.Optimizer == name);
            string Cell(string name)
            {
                var o = Of(name);
                return $"{F(o.Mean)} ± {F(o.StdErr)}" + (o.LearningRate is { } lr ? $" ({F(lr, "G2")})" : "");
            }
            string diverged = string.Join("/", columns.Select(c => Of(c).DivergedSeeds));
            string spikes = string.Join("/", columns.Select(c => Of(c).TotalSpikes));
            sb.AppendLine($"| {r.Task} | {r.Group} | {r.Steps} | {Cell(learned)} | {Cell("adam")} | {Cell("rmsprop")} | {Cell("sgd-momentum")} | {r.BestBaseline!.Optimizer} | {r.Verdict.ToString()!.ToLowerInvariant()} | {diverged} | {spikes} |");
        }
        sb.AppendLine();
        var horizons = results.Select(r => r.Steps).Distinct().ToList();
        foreach (var steps in horizons)
        {
            var done = results.Where(r => r.Verdict != null && r.Steps == steps).ToList();
            string at = horizons.Count > 1 ? $" at {steps} steps" : "";
            sb.AppendLine($"HRNN vs the best tuned baseline{at}: {done.Count(r => r.Verdict == Verdict.Win)} wins, {done.Count(r => r.Verdict == Verdict.Tie)} ties, {done.Count(r => r.Verdict == Verdict.Loss)} losses (win/loss: difference beyond 2 standard errors; a diverged HRNN seed is a loss).");
        }
        return sb.ToString();
    }

    public static string Json(IReadOnlyList<TaskResult> results, string weights, int seeds, IReadOnlyList<int> horizons)
    {
        using var s = new MemoryStream();
        using (var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("weights", weights);
            w.WriteNumber("seeds", seeds);
            if (horizons.Count == 1) w.WriteNumber("steps", horizons[0]);
            w.WriteStartArray("horizons");
            foreach (var h in horizons) w.WriteNumberValue(h);
            w.WriteEndArray();
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
                    w.WriteNumber("divergedSeeds", o.DivergedSeeds);
                    w.WriteNumber("spikes", o.TotalSpikes);
                    if (o.Diverged != null)
                    {
                        w.WriteStartArray("diverged");
                        foreach (var d in o.Diverged) w.WriteBooleanValue(d);
                        w.WriteEndArray();
                    }
                    if (o.Spikes != null)
                    {
                        w.WriteStartArray("spikesPerSeed");
                        foreach (var k in o.Spikes) w.WriteNumberValue(k);
                        w.WriteEndArray();
                    }
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
            ["hrnn"] = ScottPlot.Colors.Crimson, ["celo"] = ScottPlot.Colors.Crimson, ["adam"] = ScottPlot.Colors.SteelBlue,
            ["rmsprop"] = ScottPlot.Colors.SeaGreen, ["sgd-momentum"] = ScottPlot.Colors.DarkOrange,
        };
        foreach (var o in r.Optimizers)
        {
            var line = plot.Add.ScatterLine(Enumerable.Range(0, o.CurveLog10.Length).Select(i => (double)i).ToArray(), o.CurveLog10);
            line.LegendText = o.LearningRate is { } lr ? $"{o.Optimizer} (lr {F(lr, "G2")})" : o.Optimizer;
            line.Color = colors.GetValueOrDefault(o.Optimizer, ScottPlot.Colors.Gray);
            line.LineWidth = TaskResult.IsLearned(o.Optimizer) ? 3 : 2;
        }
        plot.ShowLegend(ScottPlot.Alignment.UpperRight); // loss curves fall: the upper right is the empty corner
        plot.SavePng(path, 900, 540);
    }
}
