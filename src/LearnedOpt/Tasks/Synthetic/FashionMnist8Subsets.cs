using LearnedOpt.Data;
using LearnedOpt.Randomness;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// Fashion-MNIST training images area-downsampled to 8×8, for the networks ensemble. Only the first
/// 80 % of the TRAINING split is ever used (the 28×28 data and the test split stay held out). Each
/// problem instance trains on its own random subset of <see cref="SubsetRows"/> of those rows, so the
/// full loss the meta-objective reads at every step stays cheap.
/// </summary>
public static class FashionMnist8Subsets
{
    public const int Side = 8;
    public const int SubsetRows = 1024;
    public const int BatchSize = 64;

    private static readonly Lazy<LabeledDataset> Installed = new(() => TrainingPool(FashionMnist.Load().Train));

    /// <summary>The 8×8 pool from the installed Fashion-MNIST (loaded once; throws saying how to install it when absent).</summary>
    public static LabeledDataset InstalledPool => Installed.Value;

    /// <summary>The first 80 % of a 28×28 training split, area-downsampled to 8×8.</summary>
    public static LabeledDataset TrainingPool(LabeledDataset train28)
    {
        ArgumentNullException.ThrowIfNull(train28);
        int side = (int)Math.Round(Math.Sqrt(train28.FeatureCount));
        if (side * side != train28.FeatureCount)
            throw new ArgumentException($"The split has {train28.FeatureCount} features per row, not a square image.", nameof(train28));
        int rows = train28.Count * 8 / 10;
        var features = new float[rows * Side * Side];
        var labels = new byte[rows];
        for (int r = 0; r < rows; r++)
        {
            AreaDownsample(train28.Row(r), side, features.AsSpan(r * Side * Side, Side * Side), Side);
            labels[r] = (byte)train28.Label(r);
        }
        return new LabeledDataset(features, labels, Side * Side, train28.ClassCount);
    }

    /// <summary>
    /// Area (box) resampling of a square image: output pixel (i, j) is the mean of the source over
    /// the square [i·s, (i+1)·s) × [j·s, (j+1)·s), s = source / target, source pixels weighted by
    /// their overlap (fractional at the edges when s is not an integer, e.g. 3.5 for 28 → 8).
    /// </summary>
    public static void AreaDownsample(ReadOnlySpan<float> source, int sourceSide, Span<float> target, int targetSide)
    {
        if (source.Length != sourceSide * sourceSide) throw new ArgumentException($"source has {source.Length} pixels, not {sourceSide}².", nameof(source));
        if (target.Length != targetSide * targetSide) throw new ArgumentException($"target has {target.Length} pixels, not {targetSide}².", nameof(target));
        if (targetSide > sourceSide) throw new ArgumentOutOfRangeException(nameof(targetSide), targetSide, $"must be at most the source side {sourceSide}.");
        double s = (double)sourceSide / targetSide;
        var weights = new double[targetSide][];
        var first = new int[targetSide];
        for (int i = 0; i < targetSide; i++)
        {
            double lo = i * s, hi = (i + 1) * s;
            int a = (int)Math.Floor(lo), b = Math.Min(sourceSide, (int)Math.Ceiling(hi));
            first[i] = a;
            weights[i] = new double[b - a];
            for (int k = a; k < b; k++) weights[i][k - a] = Math.Min(hi, k + 1) - Math.Max(lo, k);
        }
        for (int i = 0; i < targetSide; i++)
            for (int j = 0; j < targetSide; j++)
            {
                double sum = 0;
                for (int u = 0; u < weights[i].Length; u++)
                    for (int v = 0; v < weights[j].Length; v++)
                        sum += weights[i][u] * weights[j][v] * source[(first[i] + u) * sourceSide + first[j] + v];
                target[i * targetSide + j] = (float)(sum / (s * s));
            }
    }

    /// <summary>The instance's <see cref="SubsetRows"/> rows of <paramref name="pool"/>, drawn without replacement by <paramref name="seed"/>.</summary>
    public static LabeledDataset Subset(LabeledDataset pool, ulong seed, int rows = SubsetRows)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (rows < 1 || rows > pool.Count) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"must be in [1, {pool.Count}].");
        var order = Enumerable.Range(0, pool.Count).ToArray();
        new Rng(seed).Fork("fashion-mnist8-subset").Shuffle(order.AsSpan());
        int d = pool.FeatureCount;
        var features = new float[rows * d];
        var labels = new byte[rows];
        for (int r = 0; r < rows; r++)
        {
            pool.Row(order[r]).CopyTo(features.AsSpan(r * d, d));
            labels[r] = (byte)pool.Label(order[r]);
        }
        return new LabeledDataset(features, labels, d, pool.ClassCount);
    }
}
