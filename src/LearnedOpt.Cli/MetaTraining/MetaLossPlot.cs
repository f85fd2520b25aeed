using LearnedOpt.MetaTraining;

namespace LearnedOpt.Cli.MetaTraining;

/// <summary>meta-loss.png: the training meta-loss per meta-iteration (light), its moving average, and the validation score (points).</summary>
public static class MetaLossPlot
{
    public static void Write(string metricsPath, string pngPath)
    {
        var rows = MetaTrainer.ReadMetrics(metricsPath);
        var train = rows.Where(r => double.IsFinite(r.MetaLoss)).ToList();
        var val = rows.Where(r => double.IsFinite(r.Validation)).ToList();
        var plot = new ScottPlot.Plot();
        plot.Title("HRNN meta-training");
        plot.XLabel("meta-iteration");
        plot.YLabel("log meta-objective (lower is better)");
        if (train.Count > 0)
        {
            var raw = plot.Add.ScatterLine(train.Select(r => (double)r.Iteration).ToArray(), train.Select(r => r.MetaLoss).ToArray());
            raw.LegendText = "training meta-loss";
            raw.Color = ScottPlot.Colors.SteelBlue.WithAlpha(0.35);
            int window = Math.Max(1, train.Count / 30);
            if (window > 1)
            {
                var xs = new List<double>();
                var ys = new List<double>();
                for (int i = window - 1; i < train.Count; i++)
                {
                    xs.Add(train[i].Iteration);
                    ys.Add(train.Skip(i - window + 1).Take(window).Average(r => r.MetaLoss));
                }
                var smooth = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray());
                smooth.LegendText = $"mean of {window}";
                smooth.Color = ScottPlot.Colors.DarkBlue;
                smooth.LineWidth = 2;
            }
        }
        if (val.Count > 0)
        {
            var v = plot.Add.ScatterLine(val.Select(r => (double)r.Iteration).ToArray(), val.Select(r => r.Validation).ToArray());
            v.LegendText = "validation (held-in families, fresh seeds)";
            v.Color = ScottPlot.Colors.OrangeRed;
            v.LineWidth = 2;
            v.MarkerSize = 6;
        }
        plot.ShowLegend();
        plot.SavePng(pngPath, 900, 540);
    }
}
