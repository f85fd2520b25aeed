using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

/// <summary>Seeded classifier instances, points and directions shared by the batched classifier tests.</summary>
internal static class ClassifierTestData
{
    /// <summary>Instances 0..count−1 of a catalog entry (instance i built from seed i).</summary>
    public static List<ClassifierTask> MakeTasks(string entry, int count)
    {
        var e = SyntheticCatalog.All.Single(x => x.Name == entry);
        return Enumerable.Range(0, count).Select(i => (ClassifierTask)e.Build((ulong)i)).ToList();
    }

    /// <summary>Instance-major initial points (float32) drawn from each task's init distribution.</summary>
    public static float[] InitialPoints(IReadOnlyList<ClassifierTask> tasks, Rng rng)
    {
        int dim = tasks[0].Size;
        var theta = new float[tasks.Count * dim];
        var x = new double[dim];
        for (int k = 0; k < tasks.Count; k++)
        {
            tasks[k].SampleInitial(rng, x);
            for (int i = 0; i < dim; i++) theta[k * dim + i] = (float)x[i];
        }
        return theta;
    }

    /// <summary>N(0,1) directions, each instance's part scaled to unit norm.</summary>
    public static float[] UnitDirections(int count, int dim, Rng rng)
    {
        var v = new float[count * dim];
        for (int k = 0; k < count; k++)
        {
            double norm = 0;
            for (int i = 0; i < dim; i++) { double g = rng.NextGaussian(); v[k * dim + i] = (float)g; norm += g * g; }
            norm = Math.Sqrt(norm);
            for (int i = 0; i < dim; i++) v[k * dim + i] = (float)(v[k * dim + i] / norm);
        }
        return v;
    }

    public static double[] Instance(float[] packed, int k, int dim)
        => packed.AsSpan(k * dim, dim).ToArray().Select(f => (double)f).ToArray();

    /// <summary>|a − b| ≤ tol · max|reference| entrywise (plus a tiny floor for an all-zero reference).</summary>
    public static void Close(ReadOnlySpan<float> actual, ReadOnlySpan<double> reference, double tol, string what)
    {
        double scale = 1e-12;
        foreach (var r in reference) scale = Math.Max(scale, Math.Abs(r));
        for (int i = 0; i < reference.Length; i++)
            Assert.True(Math.Abs(actual[i] - reference[i]) <= tol * scale, $"{what}[{i}]: {actual[i]:R} vs {reference[i]:R} (scale {scale:G3})");
    }

    public static void Close(ReadOnlySpan<float> actual, ReadOnlySpan<float> reference, double tol, string what)
    {
        var r = new double[reference.Length];
        for (int i = 0; i < r.Length; i++) r[i] = reference[i];
        Close(actual, r, tol, what);
    }
}
