using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LearnedOpt.Backends;
using LearnedOpt.MetaTraining.Schedules;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Cli.Commands;

/// <summary>
/// <c>lopt schedule-search --config C --out DIR</c>: choose the fixed learning-rate schedule of HRNN
/// weights with the LR readout off on validation problems (<see cref="ScheduleSearch"/>). Writes
/// DIR/results.md (the grid as a table), DIR/results.json, DIR/scores.png and DIR/best.safetensors.
/// </summary>
public sealed class ScheduleSearchCommand : ICommandFactory
{
    public Command Create()
    {
        var config = new Option<string>("--config") { Description = "Schedule-search config (JSON).", Required = true };
        var output = new Option<string>("--out") { Description = "Output directory.", Required = true };
        var cmd = new Command("schedule-search", "Choose a fixed learning-rate schedule for HRNN weights (LR readout off) on validation problems.");
        cmd.Options.Add(config);
        cmd.Options.Add(output);
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(config)!;
            ScheduleSearchConfig c;
            try { c = ScheduleSearchConfig.Load(path); }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
            {
                throw new CliError($"--config {path}: {e.Message}");
            }
            var dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir);
            var start = HrnnWeights.Load(c.InitWeights);
            using var backend = BackendSelector.CreateCpu(threads: 1); // parallel over runs, not inside a step
            var search = new ScheduleSearch(c, start) { Log = m => Console.Error.WriteLine(m) };
            Console.Error.WriteLine($"schedule-search: {c.InitialLearningRates.Length * c.Decays.Length} schedules × " +
                                    $"{c.Problems.Sum(p => p.Seeds)} validation runs, {c.EffectiveThreads} threads");
            var points = search.Run(backend);
            var best = ScheduleSearch.Best(points);
            search.WeightsFor(best.InitialLr, best.Decay).Save(Path.Combine(dir, "best.safetensors"));
            File.WriteAllText(Path.Combine(dir, "results.md"), Table(c, points, best));
            File.WriteAllText(Path.Combine(dir, "results.json"), Json(c, points, best) + "\n");
            Plot(c, points, Path.Combine(dir, "scores.png"));
            Console.WriteLine(Table(c, points, best));
            return 0;
        });
        return cmd;
    }

    private static string F(double v) => double.IsFinite(v) ? v.ToString("F3", CultureInfo.InvariantCulture) : "diverged";

    internal static string Table(ScheduleSearchConfig c, IReadOnlyList<SchedulePoint> points, SchedulePoint best)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Fixed learning-rate schedules on {c.Problems.Length} validation problems (mean final log10 whole-train loss; lower is better).");
        sb.AppendLine($"Decay: the learning rate falls by e^-D over {c.Horizon} steps. Best: lr {best.InitialLr:G3}, D = {best.Decay:G3}, score {F(best.Score)}.");
        sb.AppendLine();
        sb.Append("| first-step lr | D | score | diverged |");
        foreach (var p in c.Problems) sb.Append($" {p.Task} ({p.Seeds}×{p.Steps}) |");
        sb.AppendLine();
        sb.Append("|---|---|---|---|");
        foreach (var _ in c.Problems) sb.Append("---|");
        sb.AppendLine();
        foreach (var p in points)
        {
            string mark = ReferenceEquals(p, best) ? " **best**" : "";
            sb.Append(CultureInfo.InvariantCulture, $"| {p.InitialLr:G3}{mark} | {p.Decay:G3} | {F(p.Score)} | {p.Diverged} |");
            foreach (var seeds in p.FinalLog10) sb.Append($" {F(seeds.Average())} |");
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private static string Json(ScheduleSearchConfig c, IReadOnlyList<SchedulePoint> points, SchedulePoint best)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("horizon", c.Horizon);
            w.WriteStartArray("problems");
            foreach (var p in c.Problems) { w.WriteStartObject(); w.WriteString("task", p.Task); w.WriteNumber("seeds", p.Seeds); w.WriteNumber("steps", p.Steps); w.WriteEndObject(); }
            w.WriteEndArray();
            w.WriteStartArray("points");
            foreach (var p in points)
            {
                w.WriteStartObject();
                w.WriteNumber("initialLr", p.InitialLr);
                w.WriteNumber("decay", p.Decay);
                if (double.IsFinite(p.Score)) w.WriteNumber("score", p.Score); else w.WriteNull("score");
                w.WriteNumber("diverged", p.Diverged);
                w.WriteStartArray("finalLog10");
                foreach (var seeds in p.FinalLog10)
                {
                    w.WriteStartArray();
                    foreach (var v in seeds) if (double.IsFinite(v)) w.WriteNumberValue(v); else w.WriteNullValue();
                    w.WriteEndArray();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("best");
            w.WriteNumber("initialLr", best.InitialLr);
            w.WriteNumber("decay", best.Decay);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Plot(ScheduleSearchConfig c, IReadOnlyList<SchedulePoint> points, string png)
    {
        var plot = new ScottPlot.Plot();
        plot.Title("Fixed learning-rate schedules on the validation problems");
        plot.XLabel("log10 first-step learning rate");
        plot.YLabel("mean final log10 loss (lower is better)");
        foreach (var d in c.Decays)
        {
            var row = points.Where(p => p.Decay == d && double.IsFinite(p.Score)).ToArray();
            if (row.Length == 0) continue;
            var line = plot.Add.ScatterLine(row.Select(p => Math.Log10(p.InitialLr)).ToArray(), row.Select(p => p.Score).ToArray());
            line.LegendText = $"decay e^-{d:G3} over {c.Horizon} steps";
            line.MarkerSize = 6;
        }
        plot.ShowLegend();
        plot.SavePng(png, 900, 540);
    }
}
