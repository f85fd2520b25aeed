namespace LearnedOpt.Training;

/// <summary>
/// Two signs that a training run went wrong, beside its final loss: divergence (the run ended
/// worse than it started, or non-finite) and loss spikes (steps whose training loss jumped far
/// above what the run had seen so far). Both are defined on losses, which are non-negative.
/// </summary>
public static class RunHealth
{
    /// <summary>A step is a spike when its loss exceeds this multiple of the running median.</summary>
    public const double SpikeFactor = 10;

    /// <summary>
    /// True when <paramref name="finalLoss"/> (the whole-train loss after the run) is non-finite or
    /// above <paramref name="initialLoss"/> (the same loss at the initial point).
    /// </summary>
    public static bool Diverged(double initialLoss, double finalLoss)
        => !double.IsFinite(finalLoss) || finalLoss > initialLoss;

    /// <summary>
    /// The number of steps t ≥ 1 whose loss exceeds <see cref="SpikeFactor"/> × the median of the
    /// losses of steps 0 … t−1 (the mean of the two middle values for an even count). A non-finite
    /// loss counts as +∞: it is a spike while the median is finite, and enters the median as +∞.
    /// Medians ≤ 0 flag nothing, so a run that reached a zero loss is not charged for leaving it.
    /// </summary>
    public static int CountSpikes(IReadOnlyList<double> losses, double factor = SpikeFactor)
    {
        ArgumentNullException.ThrowIfNull(losses);
        if (!(factor > 0) || double.IsPositiveInfinity(factor)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "The spike factor must be finite and > 0.");
        var sorted = new List<double>(losses.Count);
        int spikes = 0;
        for (int t = 0; t < losses.Count; t++)
        {
            double loss = double.IsFinite(losses[t]) ? losses[t] : double.PositiveInfinity;
            if (t > 0)
            {
                int n = sorted.Count;
                double median = n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
                if (median > 0 && double.IsFinite(median) && loss > factor * median) spikes++;
            }
            int at = sorted.BinarySearch(loss);
            sorted.Insert(at < 0 ? ~at : at, loss);
        }
        return spikes;
    }
}
