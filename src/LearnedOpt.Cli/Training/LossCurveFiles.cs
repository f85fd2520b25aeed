using System.Globalization;
using System.Text;

namespace LearnedOpt.Cli.Training;

/// <summary>Writes a run's per-step losses as CSV (step,loss) and as a PNG line plot.</summary>
public static class LossCurveFiles
{
    public static void WriteCsv(string path, IReadOnlyList<double> losses)
    {
        var sb = new StringBuilder("step,loss\n");
        for (int i = 0; i < losses.Count; i++)
            sb.Append(i.ToString(CultureInfo.InvariantCulture)).Append(',').Append(losses[i].ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        File.WriteAllText(path, sb.ToString());
    }

    /// <summary>
    /// The per-step losses; for minibatch (noisy) losses, light, with their moving average in
    /// dark. The y axis is logarithmic when
    /// every loss is positive and they span more than two decades. Non-finite losses are left out.
    /// </summary>
    public static void WritePng(string path, IReadOnlyList<double> losses, string title, bool minibatch, int width = 900, int height = 540)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        for (int i = 0; i < losses.Count; i++)
            if (double.IsFinite(losses[i])) { xs.Add(i); ys.Add(losses[i]); }

        bool log = ys.Count > 1 && ys.Min() > 0 && ys.Max() / ys.Min() > 100;
        double[] Y(IEnumerable<double> v) => (log ? v.Select(Math.Log10) : v).ToArray();

        var plot = new ScottPlot.Plot();
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel(log ? "loss (log scale)" : "loss");
        if (xs.Count > 0)
        {
            var raw = plot.Add.ScatterLine(xs.ToArray(), Y(ys));
            raw.LegendText = minibatch ? "minibatch loss" : "loss";
            raw.Color = minibatch ? ScottPlot.Colors.SteelBlue.WithAlpha(0.45) : ScottPlot.Colors.DarkBlue;
            raw.LineWidth = minibatch ? 1 : 2;
            int window = minibatch ? Math.Max(1, xs.Count / 50) : 1;
            if (window > 1)
            {
                var smooth = plot.Add.ScatterLine(xs.Skip(window - 1).ToArray(), Y(MovingAverage(ys, window)));
                smooth.LegendText = $"mean of {window} steps";
                smooth.Color = ScottPlot.Colors.DarkBlue;
                smooth.LineWidth = 2;
            }
            plot.ShowLegend();
        }
        if (log)
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
                LabelFormatter = y => "1e" + y.ToString("0", CultureInfo.InvariantCulture),
            };
        }
        plot.SavePng(path, width, height);
    }

    private static IEnumerable<double> MovingAverage(List<double> values, int window)
    {
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            if (i >= window - 1) yield return sum / window;
        }
    }
}
