using System.Diagnostics;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// Benchmark hook for the lead: batched loss + gradient throughput in instance·parameters per
/// second (one "evaluation" = one instance's loss and full gradient).
/// </summary>
public static class BatchedThroughput
{
    /// <summary>Quadratic(n) × instances on the CPU library: the mean of <paramref name="iterations"/> timed calls after one warm-up.</summary>
    public static double Quadratic(int n, int instances, int iterations = 10, ulong seed = 0)
    {
        var tasks = Enumerable.Range(0, instances).Select(i => new QuadraticTask(n, new Rng(seed).Fork(i).Seed)).ToList();
        return Measure(new QuadraticBatch(tasks), iterations, seed);
    }

    /// <summary>Throughput of any batch at seeded N(0,1) points.</summary>
    public static double Measure(ProblemBatch batch, int iterations = 10, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        var rng = new Rng(seed).Fork("throughput");
        var theta = new float[(long)batch.Count * batch.Dimension];
        for (int i = 0; i < theta.Length; i++) theta[i] = (float)rng.NextGaussian();
        var loss = new float[batch.Count];
        var grad = new float[theta.Length];
        batch.Evaluate(theta, loss, grad);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) batch.Evaluate(theta, loss, grad);
        double seconds = sw.Elapsed.TotalSeconds / iterations;
        return (double)batch.Count * batch.Dimension / seconds;
    }
}
