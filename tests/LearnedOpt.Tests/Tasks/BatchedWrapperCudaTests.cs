using LearnedOpt.Backends;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tests.Cuda;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// GPU tier (skips without a device; also run on the emulated driver, see EmulatedDriverTests):
/// the random draws, MatMul and every wrapper kernel (over MatMul leaves, which need no other
/// kernel file) on CUDA against the CPU library on the same inputs, seeds and steps. The draws are
/// integer hashing plus IEEE-exact float operations on both sides, so they agree bit for bit (and so
/// do the sparse masks); MatMul runs the same float64 code and the wrappers the same elementwise
/// math in the same order, so values agree to 1e-6 of the instance's scale.
/// </summary>
[Trait("tier", "gpu")]
public class BatchedWrapperCudaTests(CudaBackendFixture fixture) : IClassFixture<CudaBackendFixture>
{
    private static readonly CpuBackend Cpu = new();

    [Theory]
    [InlineData(RandomDraw.Uniform)]
    [InlineData(RandomDraw.Gaussian)]
    public void RandomDrawsAreBitIdenticalOnCudaAndCpu(RandomDraw draw)
    {
        var cuda = fixture.Backend;
        var seeds = Enumerable.Range(0, 37).Select(i => (ulong)i * 0x9E3779B97F4A7C15UL).ToList();
        using var gpu = WrapperKernels.Create(cuda, seeds.Count, seeds);
        using var cpu = WrapperKernels.Create(Cpu, seeds.Count, seeds);
        foreach (var (step, stream) in new (long, uint)[] { (0, 1), (5, 2), (1L << 40, WrapperKernels.MaxStream) })
        {
            var g = BatchedWrapperHarness.Fill(gpu, draw, 1001, step, stream);
            var c = BatchedWrapperHarness.Fill(cpu, draw, 1001, step, stream);
            for (int i = 0; i < c.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(g[i]) == BitConverter.SingleToInt32Bits(c[i]), $"{draw} step {step} stream {stream} element {i}: {g[i]:R} vs {c[i]:R}");
        }
    }

    /// <summary>Wrappers over MatMul leaves (n = 2, k = 5 or 6), one per kernel path.</summary>
    private static IBatchedProblem Compose(string which, IBackend b, IReadOnlyList<ulong> seeds)
    {
        int count = seeds.Count;
        BatchedMatMul Mm(int k = 5) => new(b, count, 2, k);
        return which switch
        {
            "noise" => new BatchedNoise(Mm(), seeds, 0.3, 1),
            "sparse-noise" => new BatchedSparse(new BatchedNoise(Mm(), seeds, 0.3, 2), seeds, 0.7, 1),
            "rescale" => new BatchedRescale(Mm(), 3),
            "log-noise" => new BatchedLog(new BatchedNoise(Mm(), seeds, 0.2, 1)),
            "sum" => new BatchedSum([new BatchedLog(Mm()), new BatchedRescale(Mm(6), 2), new BatchedSparse(Mm(), seeds, 0.5, 3)]),
            _ => throw new ArgumentException(which, nameof(which)),
        };
    }

    [Theory]
    [InlineData("noise")]
    [InlineData("sparse-noise")]
    [InlineData("rescale")]
    [InlineData("log-noise")]
    [InlineData("sum")]
    public void WrapperKernelsOnCudaMatchTheCpu(string which)
    {
        var cuda = fixture.Backend;
        var seeds = Enumerable.Range(0, 300).Select(i => (ulong)(5 * i + 1)).ToList();
        using var gpu = Compose(which, cuda, seeds);
        using var cpu = Compose(which, Cpu, seeds);
        int dim = cpu.Dimension;
        var rng = new LearnedOpt.Randomness.Rng(8);
        var theta = new float[seeds.Count * dim];
        var v = new float[theta.Length];
        for (int i = 0; i < theta.Length; i++) { theta[i] = (float)(0.5 * rng.NextGaussian()); v[i] = (float)rng.NextGaussian(); }
        SameValues(which + " evaluate", dim, BatchedWrapperHarness.Evaluate(gpu, theta), BatchedWrapperHarness.Evaluate(cpu, theta), 1e-6);
        Same(which + " Hv", dim, BatchedWrapperHarness.Hvp(gpu, theta, v), BatchedWrapperHarness.Hvp(cpu, theta, v), 1e-6);
        foreach (long step in new long[] { 0, 9, 1L << 33 })
        {
            var g = BatchedWrapperHarness.TrainingStep(gpu, theta, step);
            var c = BatchedWrapperHarness.TrainingStep(cpu, theta, step);
            SameValues($"{which} training step {step}", dim, g, c, 1e-6);
            for (int i = 0; i < c.Grad.Length; i++)
                Assert.True((g.Grad[i] == 0) == (c.Grad[i] == 0), $"{which} step {step}: mask differs at {i} ({g.Grad[i]} vs {c.Grad[i]})");
            Same($"{which} training Hv {step}", dim, BatchedWrapperHarness.TrainingHvp(gpu, theta, step, v), BatchedWrapperHarness.TrainingHvp(cpu, theta, step, v), 1e-6);
        }
    }

    [Theory]
    [InlineData(2, 5, 70)]
    [InlineData(2, 8, 3)]
    [InlineData(3, 19, 65)]
    [InlineData(3, 24, 40)]
    [InlineData(2, 5, 17000)] // more instances than the 256 × 64 workspace slots: the grid-stride path
    public void MatMulOnCudaMatchesTheCpu(int n, int k, int count)
    {
        var cuda = fixture.Backend;
        var (_, theta, v) = MatMulBatchTests.Points(n, k, count, 99);
        theta[theta.Length / 2] = float.NaN; // one instance with a NaN: NaN there, the others untouched
        using var gpu = new BatchedMatMul(cuda, count, n, k);
        using var cpu = new BatchedMatMul(Cpu, count, n, k);
        int dim = cpu.Dimension;
        var g = BatchedWrapperHarness.Evaluate(gpu, theta);
        var c = BatchedWrapperHarness.Evaluate(cpu, theta);
        Assert.Equal(c.Loss.Select(float.IsNaN), g.Loss.Select(float.IsNaN));
        SameValues($"matmul-{n}-{k}", dim, g, c, 1e-6);
        Same($"matmul-{n}-{k} Hv", dim, BatchedWrapperHarness.Hvp(gpu, theta, v), BatchedWrapperHarness.Hvp(cpu, theta, v), 1e-6);
    }

    internal static void SameValues(string what, int dim, (float[] Loss, float[] Grad) gpu, (float[] Loss, float[] Grad) cpu, double tol = 1e-4)
    {
        for (int k = 0; k < cpu.Loss.Length; k++)
        {
            if (float.IsNaN(cpu.Loss[k])) continue;
            Assert.True(Math.Abs(gpu.Loss[k] - cpu.Loss[k]) <= tol * Math.Abs(cpu.Loss[k]) + 1e-6, $"{what}[{k}] loss {gpu.Loss[k]} vs {cpu.Loss[k]}");
        }
        Same(what + " gradient", dim, gpu.Grad, cpu.Grad, tol);
    }

    internal static void Same(string what, int dim, float[] gpu, float[] cpu, double tol = 1e-4)
    {
        for (int k = 0; k < cpu.Length / dim; k++)
        {
            var c = cpu.AsSpan(k * dim, dim);
            if (c.ToArray().Any(float.IsNaN))
            {
                Assert.All(gpu.AsSpan(k * dim, dim).ToArray(), x => Assert.True(float.IsNaN(x), $"{what}[{k}]: NaN on the CPU, {x} on the GPU"));
                continue;
            }
            double scale = 1e-6;
            foreach (var x in c) scale = Math.Max(scale, Math.Abs(x));
            for (int i = 0; i < dim; i++)
                Assert.True(Math.Abs(gpu[k * dim + i] - c[i]) <= tol * scale, $"{what}[{k}][{i}]: {gpu[k * dim + i]:R} vs {c[i]:R}");
        }
    }
}
