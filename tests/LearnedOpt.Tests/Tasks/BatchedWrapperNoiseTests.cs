using LearnedOpt.Backends;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// The stochastic parts of the batched wrappers on the CPU library: gradient noise (mean 0, std σ
/// through the wrappers' chain rules, exact replay, keyed by the data seed, independent per sum
/// part), sparse masks (drop fraction ≈ q within 4 binomial σ, kept elements exact, the same mask in
/// the training HVP) and the training HVP as the transposed Jacobian of the training gradient.
/// The batched stream is its own (not FlatTask's xoshiro draws), so noise is checked by its
/// statistics and masks by reading them off the training gradient.
/// </summary>
[Trait("tier", "cpu")]
public class BatchedWrapperNoiseTests
{
    private static readonly CpuBackend Cpu = new();

    /// <summary>(g̃ − g)·factor over instances and steps, with the deterministic g of the full evaluation.</summary>
    private static List<double> NoiseSamples(IBatchedProblem p, float[] theta, int steps, double factor)
    {
        var (loss, g) = BatchedWrapperHarness.Evaluate(p, theta);
        var samples = new List<double>();
        for (int t = 0; t < steps; t++)
        {
            var (tl, tg) = BatchedWrapperHarness.TrainingStep(p, theta, t);
            Assert.Equal(loss, tl);
            for (int i = 0; i < g.Length; i++) samples.Add(((double)tg[i] - g[i]) * factor);
        }
        return samples;
    }

    private static void AssertStandardNormal(List<double> z, string what)
    {
        int n = z.Count;
        double mean = z.Average(), sd = Math.Sqrt(z.Select(x => (x - mean) * (x - mean)).Average());
        Assert.True(Math.Abs(mean) < 4 / Math.Sqrt(n), $"{what}: mean {mean} over {n}");
        Assert.True(Math.Abs(sd - 1) < 4 / Math.Sqrt(2.0 * n) + 1e-3, $"{what}: std {sd} over {n}");
    }

    [Fact]
    public void LeafNoiseHasMeanZeroStdSigmaAndReplaysExactly()
    {
        var tasks = BatchedWrapperCases.Tasks("quadratic-20-noisy", 32);
        using var p = BatchedWrapperCases.Create(Cpu, tasks);
        var noise = Assert.IsType<BatchedNoise>(p);
        Assert.Equal(0.5, noise.Sigma);
        var (theta, _) = BatchedWrapperCases.Points(tasks, 4);
        AssertStandardNormal(NoiseSamples(p, theta, 40, 1 / 0.5), "quadratic-20-noisy");
        var a = BatchedWrapperHarness.TrainingStep(p, theta, 17);
        Assert.Equal(a.Grad, BatchedWrapperHarness.TrainingStep(p, theta, 17).Grad);
        Assert.NotEqual(a.Grad, BatchedWrapperHarness.TrainingStep(p, theta, 18).Grad);
    }

    [Fact]
    public void NoiseInsideRescalePassesThroughTheChainRule()
    {
        // Decision 2: the sub-problem's σ is kept, and Rescale divides it by s like the gradient.
        const double s = 4, sigma = 0.5;
        var tasks = Enumerable.Range(0, 24).Select(k => (FlatTask)new RescaleTask(new QuadraticTask(8, (ulong)k, sigma), s)).ToList();
        using var p = BatchedWrapperCases.Create(Cpu, tasks);
        var (theta, _) = BatchedWrapperCases.Points(tasks, 6);
        AssertStandardNormal(NoiseSamples(p, theta, 60, s / sigma), "rescale(noisy quadratic)");
    }

    [Fact]
    public void SumPartsDrawIndependentNoiseFromTheirOwnStreams()
    {
        var tasks = BatchedWrapperCases.Tasks("sum-quadratics-noisy", 16);
        using var p = BatchedWrapperCases.Create(Cpu, tasks);
        var sum = Assert.IsType<BatchedSum>(p);
        var streams = sum.Parts.Select(part => Assert.IsType<BatchedNoise>(part).Stream).ToList();
        Assert.Equal(streams.Count, streams.Distinct().Count());
        var (theta, _) = BatchedWrapperCases.Points(tasks, 9);
        var z = NoiseSamples(p, theta, 60, 1 / 0.1);
        AssertStandardNormal(z, "sum-quadratics-noisy");
        // The first element of part 0 against the first of part 1, over instances and steps.
        int dim = p.Dimension, o1 = sum.Offsets[1];
        var a = new List<double>();
        var b = new List<double>();
        for (int e = 0; e < z.Count; e += dim)
        {
            a.Add(z[e]);
            b.Add(z[e + o1]);
        }
        double r = a.Zip(b, (x, y) => x * y).Average() / Math.Sqrt(a.Average(x => x * x) * b.Average(y => y * y));
        Assert.True(Math.Abs(r) < 4 / Math.Sqrt(a.Count), $"parts 0 and 1 correlate: {r}");
    }

    [Fact]
    public void NoiseIsKeyedByTheDataSeed()
    {
        FlatTask[] tasks = [new QuadraticTask(5, 1, 0.5), new QuadraticTask(5, 1, 0.5)];
        var theta = new float[10];
        float[] Draw(ulong s0, ulong s1)
        {
            using var p = BatchedWrappers.TryCreate(Cpu, tasks, [s0, s1], new BatchedWrapperLeaves(Cpu).Create)!;
            return BatchedWrapperHarness.TrainingStep(p, theta, 2).Grad;
        }
        var same = Draw(7, 7);
        Assert.Equal(same.AsSpan(0, 5).ToArray(), same.AsSpan(5).ToArray());
        var different = Draw(7, 8);
        Assert.Equal(same.AsSpan(0, 5).ToArray(), different.AsSpan(0, 5).ToArray());
        Assert.NotEqual(different.AsSpan(0, 5).ToArray(), different.AsSpan(5).ToArray());
    }

    [Fact]
    public void SparseMaskDropsAboutQAndKeepsTheRestExact()
    {
        var tasks = BatchedWrapperCases.Tasks("sparse-quadratic-20", 32);
        using var p = BatchedWrapperCases.Create(Cpu, tasks);
        double q = Assert.IsType<BatchedSparse>(p).DropProbability;
        var (theta, _) = BatchedWrapperCases.Points(tasks, 12);
        var (_, g) = BatchedWrapperHarness.Evaluate(p, theta);
        Assert.DoesNotContain(0f, g);
        long zeros = 0, total = 0;
        float[]? previous = null;
        for (int t = 0; t < 100; t++)
        {
            var (_, tg) = BatchedWrapperHarness.TrainingStep(p, theta, t);
            for (int i = 0; i < tg.Length; i++, total++)
            {
                if (tg[i] == 0) zeros++;
                else Assert.Equal(g[i], tg[i]);
            }
            Assert.Equal(tg, BatchedWrapperHarness.TrainingStep(p, theta, t).Grad);
            if (previous != null) Assert.NotEqual(previous, tg);
            previous = tg;
        }
        double fraction = (double)zeros / total, sd = Math.Sqrt(q * (1 - q) / total);
        Assert.True(Math.Abs(fraction - q) < 4 * sd, $"zero fraction {fraction}, q = {q} ± {4 * sd}");
    }

    [Theory]
    [InlineData("sparse-quadratic-20")]
    [InlineData("sparse-bowl-0.1")]
    public void SparseTrainingHvpIsTheInnerHvpOfTheMaskedDirection(string name)
    {
        var tasks = BatchedWrapperCases.Tasks(name, 8);
        using var p = BatchedWrapperCases.Create(Cpu, tasks);
        var (theta, v) = BatchedWrapperCases.Points(tasks, 14);
        int dim = p.Dimension;
        for (int t = 0; t < 5; t++)
        {
            var (_, tg) = BatchedWrapperHarness.TrainingStep(p, theta, t);
            var hv = BatchedWrapperHarness.TrainingHvp(p, theta, t, v);
            for (int k = 0; k < tasks.Count; k++)
            {
                // The FlatTask chain rule J_Pᵀ(m ⊙ v), the mask read off the training gradient.
                var masked = new double[dim];
                for (int i = 0; i < dim; i++) masked[i] = tg[k * dim + i] == 0 ? 0 : v[k * dim + i];
                var h = new double[dim];
                ((SparseTask)tasks[k]).Inner.Hvp(BatchedWrapperCases.Slice(theta, k, dim), masked, h);
                BatchedWrapperCases.AssertClose(hv.AsSpan(k * dim, dim), h, 1e-4, $"{name}[{k}] step {t}");
            }
        }
    }

    [Fact]
    public void LogTrainingHvpMatchesTheFloat64FormulaWithTheBatchedNoise()
    {
        // Log(Rescale(noisy quadratic)): Jᵀv = H_P v/d − ∇f_P (g̃_P·v)/d², g̃_P the inner training
        // gradient. The batched g̃_P comes from the same leaf, seeds and stream (1, the only noise node).
        var tasks = BatchedWrapperCases.Tasks("nested-log-rescale-noisy", 6);
        var seeds = Enumerable.Range(0, 6).Select(BatchedWrapperCases.DataSeed).ToList();
        using var p = BatchedWrapperCases.Create(Cpu, tasks);
        var inners = tasks.Select(t => ((LogTask)t).Inner).ToList();
        var leaves = inners.Select(r => (FlatTask)((QuadraticTask)((RescaleTask)r).Inner).WithoutNoise()).ToList();
        using var innerBatch = new BatchedRescale(new BatchedNoise(new BatchedWrapperLeaves(Cpu).Create(leaves, seeds)!, seeds, 0.3, 1), 2.0);
        var (theta, v) = BatchedWrapperCases.Points(tasks, 15);
        int dim = p.Dimension;
        for (int t = 0; t < 3; t++)
        {
            var (_, gNoisy) = BatchedWrapperHarness.TrainingStep(innerBatch, theta, t);
            var hv = BatchedWrapperHarness.TrainingHvp(p, theta, t, v);
            for (int k = 0; k < tasks.Count; k++)
            {
                var x = BatchedWrapperCases.Slice(theta, k, dim);
                var vk = BatchedWrapperCases.Slice(v, k, dim);
                var (g, h) = (new double[dim], new double[dim]);
                double d = inners[k].Value(x, g) + LogTask.Epsilon;
                inners[k].Hvp(x, vk, h);
                double gv = 0;
                for (int i = 0; i < dim; i++) gv += gNoisy[k * dim + i] * vk[i];
                var expected = new double[dim];
                for (int i = 0; i < dim; i++) expected[i] = h[i] / d - g[i] * gv / (d * d);
                BatchedWrapperCases.AssertClose(hv.AsSpan(k * dim, dim), expected, 1e-4, $"instance {k} step {t}");
            }
        }
    }

    [Theory]
    [InlineData("nested-log-rescale-noisy")]
    [InlineData("nested-sum-of-wrappers")]
    [InlineData("nested-log-sparse")]
    [InlineData("sparse-quadratic-20")]
    [InlineData("sum-2d-all-quadratics-noisy")]
    [InlineData("log-quadratic-20")]
    public void TrainingHvpIsTheTransposedJacobianOfTheTrainingGradient(string name)
    {
        // (Jᵀv)_i = v · ∂g/∂θ_i: one central difference of the training gradient per coordinate
        // (all instances at once, they are independent), at the same step, so noise and mask are fixed.
        const long step = 6;
        var tasks = BatchedWrapperCases.Tasks(name, 4);
        using var p = BatchedWrapperCases.Create(Cpu, tasks);
        var (theta, v) = BatchedWrapperCases.Points(tasks, 16);
        int dim = p.Dimension, count = tasks.Count;
        var hv = BatchedWrapperHarness.TrainingHvp(p, theta, step, v);
        var fd = new double[theta.Length];
        for (int i = 0; i < dim; i++)
        {
            var plus = (float[])theta.Clone();
            var minus = (float[])theta.Clone();
            var h = new double[count];
            for (int k = 0; k < count; k++)
            {
                int e = k * dim + i;
                double step0 = 1e-3 * Math.Max(1, Math.Abs(theta[e]));
                plus[e] = (float)(theta[e] + step0);
                minus[e] = (float)(theta[e] - step0);
                h[k] = (double)plus[e] - minus[e];
            }
            var gp = BatchedWrapperHarness.TrainingStep(p, plus, step).Grad;
            var gm = BatchedWrapperHarness.TrainingStep(p, minus, step).Grad;
            for (int k = 0; k < count; k++)
            {
                double s = 0;
                for (int j = 0; j < dim; j++) s += v[k * dim + j] * ((double)gp[k * dim + j] - gm[k * dim + j]);
                fd[k * dim + i] = s / h[k];
            }
        }
        for (int k = 0; k < count; k++)
        {
            double scale = 1e-6;
            for (int i = 0; i < dim; i++) scale = Math.Max(scale, Math.Max(Math.Abs(fd[k * dim + i]), Math.Abs(hv[k * dim + i])));
            for (int i = 0; i < dim; i++)
                Assert.True(Math.Abs(fd[k * dim + i] - hv[k * dim + i]) <= 1e-2 * scale,
                    $"{name}[{k}]: (Jᵀv)[{i}] = {hv[k * dim + i]:R} vs differences {fd[k * dim + i]:R}");
        }
    }
}
