using LearnedOpt.Randomness;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>Rows × features inputs (row-major) with 0/1 labels, generated from a seed.</summary>
public sealed class SyntheticDataset
{
    public SyntheticDataset(double[] x, double[] labels, int features)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        if (x.Length != labels.Length * features)
            throw new ArgumentException($"Inputs have {x.Length} values, expected {labels.Length} rows × {features} features.", nameof(x));
        X = x;
        Labels = labels;
        Features = features;
    }

    public double[] X { get; }
    public double[] Labels { get; }
    public int Features { get; }
    public int Rows => Labels.Length;

    /// <summary>
    /// sklearn make_classification semantics (docs/tasks.md) with all features informative,
    /// 2 classes, 2 clusters per class: Gaussian clusters at distinct hypercube vertices ±classSep,
    /// a random linear mixing U[−1,1) per cluster, 1% of labels redrawn at random, rows and
    /// features shuffled. Drawn from our Rng, so the numbers differ from numpy's.
    /// </summary>
    public static SyntheticDataset MakeClassification(int rows, int features, double classSep, ulong seed, double flipFraction = 0.01)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 4);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 2);
        if (!(classSep > 0)) throw new ArgumentOutOfRangeException(nameof(classSep), classSep, "Class separation must be > 0.");
        const int clusters = 4;
        var rng = new Rng(seed).Fork("make-classification");

        // Distinct random vertices of the hypercube {−sep, +sep}^features.
        var vertices = new List<int[]>();
        while (vertices.Count < clusters)
        {
            var v = new int[features];
            for (int j = 0; j < features; j++) v[j] = rng.NextInt(2);
            if (!vertices.Any(u => u.AsSpan().SequenceEqual(v))) vertices.Add(v);
        }

        var x = new double[rows * features];
        var y = new double[rows];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextGaussian();
        int start = 0;
        var tmp = new double[features];
        for (int k = 0; k < clusters; k++)
        {
            int count = rows / clusters + (k < rows % clusters ? 1 : 0);
            var mix = new double[features * features];
            for (int i = 0; i < mix.Length; i++) mix[i] = 2 * rng.NextDouble() - 1;
            for (int r = start; r < start + count; r++)
            {
                var row = x.AsSpan(r * features, features);
                for (int j = 0; j < features; j++)
                {
                    double s = 0;
                    for (int m = 0; m < features; m++) s += row[m] * mix[m * features + j];
                    tmp[j] = s + (2 * vertices[k][j] - 1) * classSep;
                }
                tmp.CopyTo(row);
                y[r] = k % 2;
            }
            start += count;
        }
        for (int r = 0; r < rows; r++)
            if (rng.NextDouble() < flipFraction) y[r] = rng.NextInt(2);

        var rowOrder = Enumerable.Range(0, rows).ToArray();
        rng.Shuffle(rowOrder.AsSpan());
        var featureOrder = Enumerable.Range(0, features).ToArray();
        rng.Shuffle(featureOrder.AsSpan());
        var xs = new double[x.Length];
        var ys = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            ys[r] = y[rowOrder[r]];
            for (int j = 0; j < features; j++) xs[r * features + j] = x[rowOrder[r] * features + featureOrder[j]];
        }
        return new SyntheticDataset(xs, ys, features);
    }

    /// <summary>
    /// The reference's random_mlp data (docs/tasks.md): X ~ N(0,1); a teacher of 6 ReLU layers of
    /// width 20 (weights N(0,1)·√(2/d), the same factor in every layer) and a linear read-out unit;
    /// label 1 where the read-out is positive.
    /// </summary>
    public static SyntheticDataset RandomMlp(int rows, int features, ulong seed, int layers = 6, int width = 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        var rng = new Rng(seed).Fork("random-mlp");
        var x = new double[rows * features];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextGaussian();
        double scale = Math.Sqrt(2.0 / features);
        var h = x;
        int inWidth = features;
        for (int l = 0; l <= layers; l++)
        {
            int outWidth = l < layers ? width : 1;
            var w = new double[inWidth * outWidth];
            for (int i = 0; i < w.Length; i++) w[i] = scale * rng.NextGaussian();
            var next = new double[rows * outWidth];
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < outWidth; o++)
                {
                    double s = 0;
                    for (int i = 0; i < inWidth; i++) s += h[r * inWidth + i] * w[i * outWidth + o];
                    next[r * outWidth + o] = l < layers ? Math.Max(s, 0) : s;
                }
            h = next;
            inWidth = outWidth;
        }
        var y = new double[rows];
        for (int r = 0; r < rows; r++) y[r] = h[r] > 0 ? 1 : 0;
        return new SyntheticDataset(x, y, features);
    }
}
