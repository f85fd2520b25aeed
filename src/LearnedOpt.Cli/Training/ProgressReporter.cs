using System.Diagnostics;
using System.Globalization;

namespace LearnedOpt.Cli.Training;

/// <summary>
/// Training progress: step, loss, steps/s and ETA. On a terminal one line is rewritten at most
/// ten times a second; otherwise a line is printed every tenth of the run (and at the end).
/// </summary>
public sealed class ProgressReporter(TextWriter output, bool interactive, long totalSteps)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastDraw = TimeSpan.MinValue;
    private readonly long _every = Math.Max(1, totalSteps / 10);

    public void Report(long done, double loss)
    {
        bool last = done == totalSteps;
        if (interactive)
        {
            if (!last && _clock.Elapsed - _lastDraw < TimeSpan.FromMilliseconds(100)) return;
            _lastDraw = _clock.Elapsed;
            output.Write("\r" + Line(done, loss).PadRight(78));
            if (last) output.WriteLine();
            output.Flush();
        }
        else if (last || done % _every == 0)
        {
            output.WriteLine(Line(done, loss));
        }
    }

    private string Line(long done, double loss)
    {
        double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
        double rate = done / seconds;
        double eta = rate > 0 ? (totalSteps - done) / rate : 0;
        var c = CultureInfo.InvariantCulture;
        return string.Create(c, $"step {done}/{totalSteps}  loss {loss:G6}  {rate:F1} steps/s  ETA {Format(TimeSpan.FromSeconds(eta))}");
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:D2}s" : $"{t.TotalSeconds:F0}s";
}
