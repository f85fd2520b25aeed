using LearnedOpt.Backends;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// The wrapped entries the batched-wrapper tests run: catalog entries (rescale, log, sparse, sums,
/// noisy leaves) and nestings the catalog lacks (log over rescaled noise, a sum of wrappers).
/// Instance k is built from seed k and gets data seed <see cref="DataSeed"/>(k).
/// </summary>
internal static class BatchedWrapperCases
{
    public static readonly string[] Names =
    [
        "rescale-norm-18-2.5", "rescale-quadratic-50", "log-quadratic-20", "log-bowl-5", "sparse-quadratic-20",
        "sparse-bowl-0.1", "sum-norm-quadratic-rosenbrock", "sum-2d-all-quadratics-noisy", "sum-quadratics-noisy",
        "quadratic-20-noisy", "norm-19-1-noisy", "bowl-5-rot-noisy", "rosenbrock-noisy",
        "nested-log-rescale-noisy", "nested-sum-of-wrappers", "nested-log-sparse",
    ];

    public static TheoryData<string> All() => new(Names);

    public static ulong DataSeed(int k) => 1000 + (ulong)k;

    public static FlatTask Build(string name, int k) => name switch
    {
        "nested-log-rescale-noisy" => new LogTask(new RescaleTask(new QuadraticTask(6, (ulong)k, 0.3), 2.0)),
        "nested-log-sparse" => new LogTask(new SparseTask(new QuadraticTask(5, (ulong)k), 0.5)),
        "nested-sum-of-wrappers" => new SumTask(name,
        [
            new SparseTask(new QuadraticTask(5, (ulong)k, 0.2), 0.5),
            new LogTask(new BowlTask(3, 0.4)),
            new RescaleTask(new TestFunctionTask(TestFunction.Beale), 3),
            new NormTask(4, 3, (ulong)k + 50, 0.1),
        ]),
        _ => (SyntheticCatalog.All.FirstOrDefault(e => e.Name == name) ?? throw new ArgumentException($"No catalog entry '{name}'.", nameof(name))).Build((ulong)k),
    };

    public static List<FlatTask> Tasks(string name, int count) => Enumerable.Range(0, count).Select(k => Build(name, k)).ToList();

    /// <summary>The composite of <paramref name="tasks"/> on <paramref name="backend"/> (instance k with data seed DataSeed(first + k)).</summary>
    public static IBatchedProblem Create(IBackend backend, IReadOnlyList<FlatTask> tasks, int first = 0)
    {
        var seeds = Enumerable.Range(first, tasks.Count).Select(DataSeed).ToList();
        return BatchedWrappers.TryCreate(backend, tasks, seeds, new BatchedWrapperLeaves(backend).Create)
            ?? throw new InvalidOperationException($"No batched composite for '{tasks[0].Name}'.");
    }

    /// <summary>Initial points of each task (float-rounded) and a Gaussian direction, instance-major.</summary>
    public static (float[] Theta, float[] V) Points(IReadOnlyList<FlatTask> tasks, ulong seed)
    {
        int dim = tasks[0].Size;
        var rng = new Rng(seed);
        var theta = new float[tasks.Count * dim];
        var v = new float[theta.Length];
        for (int k = 0; k < tasks.Count; k++)
        {
            var x = new double[dim];
            tasks[k].SampleInitial(rng, x);
            for (int i = 0; i < dim; i++)
            {
                theta[k * dim + i] = (float)x[i];
                v[k * dim + i] = (float)rng.NextGaussian();
            }
        }
        return (theta, v);
    }

    public static double[] Slice(float[] a, int k, int dim) => a.AsSpan(k * dim, dim).ToArray().Select(f => (double)f).ToArray();

    /// <summary>|batched − reference| ≤ tolerance · (the reference's largest magnitude) for every element.</summary>
    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double tolerance, string what)
    {
        double scale = 1e-6;
        foreach (var e in expected) scale = Math.Max(scale, Math.Abs(e));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance * scale, $"{what}[{i}]: {actual[i]:R} vs {expected[i]:R} (scale {scale})");
    }
}
