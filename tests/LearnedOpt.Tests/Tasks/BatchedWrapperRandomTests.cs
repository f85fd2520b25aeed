using LearnedOpt.Backends;
using LearnedOpt.Interop;
using LearnedOpt.Tasks.Batched;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// The counter-based generator of the batched wrappers (lopt_random.h) on the CPU library:
/// Random123's published Philox4x32-10 vectors, bit equality with a managed re-implementation,
/// determinism, the distributions (moments and Kolmogorov–Smirnov at fixed seeds, bounds at about
/// 4σ of the statistic) and independence of seeds, steps, streams and indices.
/// </summary>
[Trait("tier", "cpu")]
public unsafe class BatchedWrapperRandomTests
{
    private static readonly CpuBackend Cpu = new();

    [Theory]
    [InlineData(0u, 0u, 0u, 0u, 0u, 0u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void PhiloxMatchesRandom123KnownAnswers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint o0, uint o1, uint o2, uint o3)
    {
        uint[] ctr = [c0, c1, c2, c3], key = [k0, k1], native = new uint[4];
        fixed (uint* c = ctr)
        fixed (uint* k = key)
        fixed (uint* o = native)
            LoptCpuNative.Check(LoptWrappersNative.lopt_random_philox(c, k, o), "lopt_random_philox");
        Assert.Equal([o0, o1, o2, o3], native);
        Assert.Equal([o0, o1, o2, o3], BatchedWrapperRandomReference.Philox(ctr, key));
    }

    [Theory]
    [InlineData(RandomDraw.Uniform)]
    [InlineData(RandomDraw.Gaussian)]
    public void NativeDrawsEqualTheManagedReferenceBitForBit(RandomDraw draw)
    {
        ulong[] seeds = [0, 1, 0xDEADBEEFCAFEF00DUL, ulong.MaxValue];
        using var k = WrapperKernels.Create(Cpu, seeds.Length, seeds);
        foreach (var (step, stream) in new (long, uint)[] { (0, 1), (7, 1), (123456789012, 3), (1, WrapperKernels.MaxStream) })
        {
            var native = BatchedWrapperHarness.Fill(k, draw, 300, step, stream);
            for (int s = 0; s < seeds.Length; s++)
                for (uint i = 0; i < 300; i++)
                {
                    float expected = draw == RandomDraw.Uniform
                        ? BatchedWrapperRandomReference.Uniform(seeds[s], step, stream, i)
                        : BatchedWrapperRandomReference.Gaussian(seeds[s], step, stream, i);
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(native[s * 300 + i]),
                        $"{draw} seed {seeds[s]} step {step} stream {stream} index {i}: {native[s * 300 + i]:R} vs {expected:R}");
                }
        }
    }

    [Fact]
    public void OurLogIsAccurateOverTheRangeThePolarMethodUses()
    {
        var rng = new LearnedOpt.Randomness.Rng(5);
        for (int i = 0; i < 20000; i++)
        {
            float s = (float)Math.Pow(2, -47 * rng.NextDouble());
            double exact = Math.Log(s);
            Assert.True(Math.Abs(BatchedWrapperRandomReference.Log(s) - exact) <= 2e-7 * Math.Max(1, Math.Abs(exact)), $"log({s:R})");
        }
    }

    [Fact]
    public void SameKeysReplayAndEveryKeyPartChangesTheDraws()
    {
        ulong[] seeds = [11, 12];
        using var k = WrapperKernels.Create(Cpu, 2, seeds);
        var a = BatchedWrapperHarness.Fill(k, RandomDraw.Gaussian, 5000, 4, 2);
        Assert.Equal(a, BatchedWrapperHarness.Fill(k, RandomDraw.Gaussian, 5000, 4, 2));
        using var other = WrapperKernels.Create(Cpu, 2, [11, 13]);
        var second = BatchedWrapperHarness.Fill(other, RandomDraw.Gaussian, 5000, 4, 2);
        // Instance 0 has the same seed in both tables, instance 1 does not.
        Assert.Equal(a.AsSpan(0, 5000).ToArray(), second.AsSpan(0, 5000).ToArray());
        foreach (var changed in new[]
        {
            second.AsSpan(5000).ToArray(),
            BatchedWrapperHarness.Fill(k, RandomDraw.Gaussian, 5000, 5, 2).AsSpan(5000).ToArray(),
            BatchedWrapperHarness.Fill(k, RandomDraw.Gaussian, 5000, 4, 3).AsSpan(5000).ToArray(),
            a.AsSpan(0, 5000).ToArray(),   // instance 0 (seed 11) against instance 1 (seed 12)
        })
            AssertIndependent(a.AsSpan(5000).ToArray(), changed);
        // Neighbouring indices of one stream are independent too.
        var x = a.AsSpan(5000).ToArray();
        AssertIndependent(x[..^1], x[1..]);
    }

    private static void AssertIndependent(float[] x, float[] y)
    {
        Assert.Equal(x.Length, y.Length);
        int equal = 0;
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] == y[i]) equal++;
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        double r = sxy / Math.Sqrt(sxx * syy);
        Assert.True(Math.Abs(r) < 4.5 / Math.Sqrt(x.Length), $"correlation {r}");
        Assert.True(equal < 3, $"{equal} equal draws");
    }

    [Fact]
    public void GaussianDrawsHaveStandardNormalMomentsAndPassKolmogorovSmirnov()
    {
        const int count = 64, dim = 4000;
        var seeds = Enumerable.Range(0, count).Select(i => (ulong)(1000 + i)).ToArray();
        using var k = WrapperKernels.Create(Cpu, count, seeds);
        var z = BatchedWrapperHarness.Fill(k, RandomDraw.Gaussian, dim, 3, 1).Select(f => (double)f).ToArray();
        int n = z.Length;
        double mean = z.Average();
        double m2 = z.Select(v => (v - mean) * (v - mean)).Average();
        double m3 = z.Select(v => Math.Pow(v - mean, 3)).Average() / Math.Pow(m2, 1.5);
        double m4 = z.Select(v => Math.Pow(v - mean, 4)).Average() / (m2 * m2);
        Assert.True(Math.Abs(mean) < 4 / Math.Sqrt(n), $"mean {mean}");
        Assert.True(Math.Abs(m2 - 1) < 4 * Math.Sqrt(2.0 / n), $"variance {m2}");
        Assert.True(Math.Abs(m3) < 4 * Math.Sqrt(6.0 / n), $"skewness {m3}");
        Assert.True(Math.Abs(m4 - 3) < 4 * Math.Sqrt(96.0 / n), $"kurtosis {m4}");
        Assert.True(z.All(double.IsFinite) && z.Max() > 3.5 && z.Min() < -3.5, "tails");
        double d = KolmogorovSmirnov(z, BatchedWrapperRandomReference.NormalCdf);
        Assert.True(d < 1.95 / Math.Sqrt(n), $"KS statistic {d} (1.95/√n = {1.95 / Math.Sqrt(n)})");
    }

    [Fact]
    public void UniformDrawsAreUniformOnTheUnitInterval()
    {
        const int count = 32, dim = 8000;
        var seeds = Enumerable.Range(0, count).Select(i => (ulong)(77 * i + 5)).ToArray();
        using var k = WrapperKernels.Create(Cpu, count, seeds);
        var u = BatchedWrapperHarness.Fill(k, RandomDraw.Uniform, dim, 9, 4).Select(f => (double)f).ToArray();
        Assert.True(u.All(x => x >= 0 && x < 1));
        int n = u.Length;
        Assert.True(Math.Abs(u.Average() - 0.5) < 4 * Math.Sqrt(1.0 / 12 / n));
        Assert.True(KolmogorovSmirnov(u, x => Math.Clamp(x, 0, 1)) < 1.95 / Math.Sqrt(n));
    }

    private static double KolmogorovSmirnov(double[] sample, Func<double, double> cdf)
    {
        var s = sample.Order().ToArray();
        double d = 0;
        for (int i = 0; i < s.Length; i++)
        {
            double f = cdf(s[i]);
            d = Math.Max(d, Math.Max((i + 1.0) / s.Length - f, f - (double)i / s.Length));
        }
        return d;
    }

    [Fact]
    public void BadArgumentsAreRejectedWithTheirName()
    {
        using var k = WrapperKernels.Create(Cpu, 2, [1, 2]);
        using var o = Cpu.Allocate(10);
        Assert.Equal("step", Assert.Throws<ArgumentOutOfRangeException>(() => k.Fill(RandomDraw.Uniform, 5, -1, 1, o.View)).ParamName);
        Assert.Equal("stream", Assert.Throws<ArgumentOutOfRangeException>(() => k.Fill(RandomDraw.Uniform, 5, 0, WrapperKernels.MaxStream + 1, o.View)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => k.Fill(RandomDraw.Uniform, 4, 0, 1, o.View)).ParamName);
        Assert.Equal("seeds", Assert.Throws<ArgumentException>(() => WrapperKernels.Create(Cpu, 3, [1, 2])).ParamName);
        using var unseeded = WrapperKernels.Create(Cpu, 2);
        Assert.Throws<InvalidOperationException>(() => unseeded.Fill(RandomDraw.Uniform, 5, 0, 1, o.View));
    }
}
