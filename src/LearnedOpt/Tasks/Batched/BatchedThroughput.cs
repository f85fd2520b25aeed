using LearnedOpt.Backends;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// Benchmark hook for the lead: batched loss + gradient throughput in instance·parameters per
/// second (one unit = one parameter of one instance with its loss and gradient), timed the
/// backend's way (<see cref="IBackend.TimeMilliseconds"/>: CUDA events on the GPU).
/// </summary>
public static class BatchedThroughput
{
    /// <summary>Quadratic(n) × <paramref name="instances"/> on <paramref name="backend"/> (CPU library or CUDA).</summary>
    public static double Quadratic(IBackend backend, int n, int instances, int iterations = 10, ulong seed = 0)
    {
        var tasks = Enumerable.Range(0, instances).Select(i => new QuadraticTask(n, new Rng(seed).Fork(i).Seed)).ToList();
        return Measure(backend, new QuadraticBatch(tasks), iterations, seed);
    }

    /// <summary>
    /// Instances of a synthetic classifier entry (e.g. "mlp-8-32x64", "logistic-256") on the CPU
    /// library, full-data loss and gradient; instance i is built from seed i.
    /// </summary>
    public static double Classifier(IBackend backend, string entry, int instances, int iterations = 3)
    {
        var e = SyntheticCatalog.All.FirstOrDefault(x => x.Name == entry && (x.Family is "mlp" or "logistic"))
            ?? throw new ArgumentException($"'{entry}' is not a synthetic mlp or logistic entry.", nameof(entry));
        var tasks = Enumerable.Range(0, instances).Select(i => (ClassifierTask)e.Build((ulong)i)).ToList();
        return Measure(backend, new ClassifierBatch(tasks), iterations);
    }

    /// <summary>Throughput of any batch at seeded N(0,1) points on <paramref name="backend"/>.</summary>
    public static double Measure(IBackend backend, ProblemBatch batch, int iterations = 10, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        var rng = new Rng(seed).Fork("throughput");
        var theta = new float[(long)batch.Count * batch.Dimension];
        for (int i = 0; i < theta.Length; i++) theta[i] = (float)rng.NextGaussian();
        double ms;
        switch (backend)
        {
            case CpuBackend:
            {
                var loss = new float[batch.Count];
                var grad = new float[theta.Length];
                ms = backend.TimeMilliseconds(() => batch.Evaluate(theta, loss, grad), iterations);
                break;
            }
            case CudaBackend cuda:
            {
                using var gpu = new CudaProblemBatch(cuda, batch);
                using var t = cuda.Allocate(theta.Length);
                using var l = cuda.Allocate(batch.Count);
                using var g = cuda.Allocate(theta.Length);
                cuda.CopyFromHost(theta, t.View);
                ms = cuda.TimeMilliseconds(() => gpu.Evaluate(t.View, l.View, g.View), iterations);
                break;
            }
            default:
                throw new NotSupportedException($"No batched problems on backend {backend.Kind}.");
        }
        return (double)batch.Count * batch.Dimension / (ms / 1000);
    }
}
