using LearnedOpt.Backends;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tests.Hrnn;

/// <summary>Invariances of the HRNN step that hold for any weights.</summary>
[Trait("tier", "cpu")]
public class HrnnPropertyTests
{
    private static float[][] Run(HrnnWeights weights, long[] lengths, Func<int, float[][]> gradients, int steps, float[][]? theta = null)
    {
        using var backend = new CpuBackend();
        using var opt = new HrnnOptimizer(backend, lengths.Select((n, k) => new TensorSpec($"t{k}", n)).ToList(), weights);
        theta ??= lengths.Select(n => new float[n]).ToArray();
        for (int s = 1; s <= steps; s++) opt.Step(theta, gradients(s));
        return theta;
    }

    [Fact]
    public void PermutingATensorPermutesItsUpdate()
    {
        long[] lengths = [1000, 37];
        var weights = HrnnTestData.Exercised(3);
        var perm = Enumerable.Range(0, 1000).ToArray();
        new Rng(8).Shuffle(perm.AsSpan());
        float[][] Grads(int s) => HrnnTestData.Gradients(lengths, s, 21, [1.0]);
        float[][] Permuted(int s)
        {
            var g = Grads(s);
            return [perm.Select(i => g[0][i]).ToArray(), g[1]];
        }
        var plain = Run(weights, lengths, Grads, 12);
        var permuted = Run(weights, lengths, Permuted, 12);
        double scale = plain[0].Max(MathF.Abs);
        Assert.True(scale > 0);
        for (int i = 0; i < 1000; i++)
            Assert.True(Math.Abs(permuted[0][i] - plain[0][perm[i]]) <= 1e-4 * scale, $"coordinate {i}: {permuted[0][i]} vs {plain[0][perm[i]]}");
        for (int i = 0; i < 37; i++)
            Assert.True(Math.Abs(permuted[1][i] - plain[1][i]) <= 1e-4 * plain[1].Max(MathF.Abs), $"other tensor, coordinate {i}");
    }

    [Fact]
    public void TensorsInteractOnlyThroughTheTensorAndGlobalRnnPath()
    {
        long[] lengths = [50, 80];
        float[][] GradsA(int s) => HrnnTestData.Gradients(lengths, s, 1, [1.0]);
        float[][] GradsB(int s) => [GradsA(s)[0], HrnnTestData.Gradients(lengths, s, 2, [1e3])[1]]; // same for tensor 0 only

        // With a constant log-LR (LR readout 0, so mu is constant) and the global bias maps zero,
        // tensor 0's trajectory cannot depend on tensor 1's gradients at all.
        var cut = HrnnTestData.Exercised(4).With("readout/lr/w", new float[10]).With("readout/lr/b", [0f])
            .With("bias/param_from_global/w", new float[20 * 30]).With("bias/tensor_from_global/w", new float[20 * 60]);
        Assert.Equal(Run(cut, lengths, GradsA, 15)[0], Run(cut, lengths, GradsB, 15)[0]);

        // With the global path on, the first step still cannot see the other tensor (top-down
        // information lags one step), but later steps do.
        var full = HrnnTestData.Exercised(4);
        Assert.Equal(Run(full, lengths, GradsA, 1)[0], Run(full, lengths, GradsB, 1)[0]);
        Assert.NotEqual(Run(full, lengths, GradsA, 3)[0], Run(full, lengths, GradsB, 3)[0]);
    }

    [Theory]
    [InlineData(1e-2)]
    [InlineData(1.0)]
    [InlineData(1e4)]
    public void FirstStepWithFreshWeightsIsExpOfInitialLogLrPlusOffsetTimesUnitRmsDirection(double scale)
    {
        const int n = 2000;
        var weights = HrnnWeightInit.Create(12);
        var g = HrnnTestData.Gradients([n], 1, 6, [scale])[0];
        var theta = Run(weights, [n], _ => [g], 1)[0];
        double expected = Math.Exp(HrnnOptimizer.DefaultInitialLogLr - 1.0); // ℓ₀ + o, o = -1: ≈ 3.7e-5
        // d̂ has unit RMS over the tensor, and a = ℓ₀ for fresh weights (LR readout 0).
        double rms = Math.Sqrt(theta.Select(x => (double)x * x).Average());
        Assert.InRange(rms, expected * (1 - 1e-4), expected * (1 + 1e-4));
        // The same coordinates move the same way at gradient scale 1: the features are invariant
        // to the gradient's scale where |g| >> 1e-6 (docs/hrnn.md, features).
        var unit = Run(weights, [n], _ => [g.Select(x => (float)(x / scale)).ToArray()], 1)[0];
        for (int i = 0; i < n; i++)
            if (Math.Abs(g[i]) >= 1e-4) Assert.True(Math.Abs(theta[i] - unit[i]) <= 1e-3 * expected, $"coordinate {i}: {theta[i]} vs {unit[i]} at scale 1");
    }

    [Fact]
    public void CpuResultsDoNotDependOnTheThreadCount()
    {
        long[] lengths = [5000, 3, 2049];
        var weights = HrnnTestData.Exercised(9);
        float[][] RunWith(int threads)
        {
            using var backend = new CpuBackend(threads); // OpenMP thread count of this test thread only
            using var opt = new HrnnOptimizer(backend, lengths.Select((n, k) => new TensorSpec($"t{k}", n)).ToList(), weights);
            var theta = HrnnTestData.RandomParameters(lengths, 3);
            for (int s = 1; s <= 6; s++) opt.Step(theta, HrnnTestData.Gradients(lengths, s, 4));
            return theta;
        }
        int before = new CpuBackend().Threads;
        float[][] one, three;
        try
        {
            one = RunWith(1);
            three = RunWith(3);
        }
        finally
        {
            _ = new CpuBackend(before); // restore this thread's OpenMP setting for later tests
        }
        for (int k = 0; k < lengths.Length; k++) Assert.Equal(one[k], three[k]); // per-chunk sums combined in chunk order
    }
}
