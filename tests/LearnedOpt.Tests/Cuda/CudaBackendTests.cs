using LearnedOpt.Backends;
using LearnedOpt.Cuda;
using LearnedOpt.Interop;
using LearnedOpt.Randomness;

namespace LearnedOpt.Tests.Cuda;

/// <summary>GPU tier: memory, copies, the copy kernel, validation, counters, timing and cuBLAS.</summary>
[Trait("tier", "gpu")]
public class CudaBackendTests(CudaBackendFixture fixture) : IClassFixture<CudaBackendFixture>
{
    private static float[] Random(int n, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, n).Select(_ => (float)rng.Gaussian(0, 1)).ToArray();
    }

    [Fact]
    public void DeviceReportsSensibleAttributes()
    {
        var d = fixture.Backend.Device;
        Assert.False(string.IsNullOrWhiteSpace(d.Name));
        Assert.True(d.Arch >= 50, d.ArchName);
        Assert.True(d.MultiprocessorCount > 0);
        Assert.True(d.TotalMemoryBytes > 1UL << 30);
        Assert.Equal(32, d.WarpSize);
    }

    [Fact]
    public void KernelsAreBuiltForTheDeviceOrAsPtxForTheNewestOlderArch()
    {
        var b = fixture.Backend;
        var archs = CudaLibraries.NvrtcSupportedArchs();
        Assert.Equal(ArchSelection.Choose(b.Device.Arch, archs), b.Target);
        Assert.Equal(!archs.Contains(b.Device.Arch), b.Target.Ptx);
        var module = b.GetModule("optim.cu");
        Assert.Equal(b.Target, module.Compiled.Target);
        Assert.Equal(b.Target.Ptx, !CubinInfo.IsElf(module.Compiled.Image));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4099)]
    [InlineData((1 << 20) + 3)]
    public void RoundTripAndReuseAreZeroed(int n)
    {
        var b = fixture.Backend;
        var data = Random(n, 1);
        var back = new float[n];
        using (var buf = b.Allocate(n))
        {
            b.CopyToHost(buf.View, back);
            Assert.All(back, v => Assert.Equal(0f, v));
            b.CopyFromHost(data, buf.View);
            b.CopyToHost(buf.View, back);
            Assert.Equal(data, back);
        }
        // The same arena block comes back: it must be zeroed again.
        using var again = b.Allocate(n);
        b.CopyToHost(again.View, back);
        Assert.All(back, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(3, 0)]
    [InlineData(4099, 0)]
    [InlineData(4099, 1)] // misaligned by one float: the scalar path of lopt_copy
    [InlineData((1 << 20) + 3, 0)]
    [InlineData((1 << 20) + 3, 3)]
    public void CopyKernelCopiesExactlyNElements(int n, int offset)
    {
        var b = fixture.Backend;
        var data = Random(n, 2);
        using var src = b.Allocate(n);
        using var dst = b.Allocate(n + offset + 1);
        b.CopyFromHost(data, src.View);
        var sentinel = Enumerable.Repeat(-7f, n + offset + 1).ToArray();
        b.CopyFromHost(sentinel, dst.View);

        var target = TensorView.Device(dst.View.DevicePointer + (ulong)offset * sizeof(float), n);
        b.Copy(target, src.View);
        var back = new float[n + offset + 1];
        b.CopyToHost(dst.View, back);
        Assert.Equal(data, back[offset..(offset + n)]);
        Assert.All(back[..offset], v => Assert.Equal(-7f, v));
        Assert.Equal(-7f, back[^1]);
    }

    [Fact]
    public unsafe void WrongLocationLengthOrNullIsAnArgumentExceptionNamingTheArgument()
    {
        var b = fixture.Backend;
        using var buf = b.Allocate(10);
        var host = new float[10];
        fixed (float* h = host)
        {
            var hostView = TensorView.Host(h, 10);
            Assert.Equal("destination", Assert.Throws<ArgumentException>(() => b.CopyFromHost(host, hostView)).ParamName);
            Assert.Equal("source", Assert.Throws<ArgumentException>(() => b.Copy(buf.View, hostView)).ParamName);
        }
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => b.CopyFromHost(new float[9], buf.View)).ParamName);
        Assert.Equal("source", Assert.Throws<ArgumentException>(() => b.CopyToHost(buf.View, new float[11])).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentNullException>(() => b.CopyFromHost(host, TensorView.Device(0, 10))).ParamName);

        var coef = new LoptCoef { Lr = 0.1f, StateCount = 0 };
        var e = Assert.Throws<ArgumentException>(() => b.OptimizerStep(NativeOptimizer.Adam, coef, buf.View, buf.View, buf.View, buf.View, buf.View));
        Assert.Equal("coef", e.ParamName);
        coef.StateCount = 2;
        using var shorter = b.Allocate(9);
        Assert.Equal("state1", Assert.Throws<ArgumentException>(() => b.OptimizerStep(NativeOptimizer.Adam, coef, buf.View, buf.View, buf.View, shorter.View, buf.View)).ParamName);
    }

    [Fact]
    public void NonFiniteCounterCountsAndResets()
    {
        var b = fixture.Backend;
        b.TakeNonFiniteCount();
        const int n = 5000;
        var g = new float[n];
        g[0] = float.NaN; g[777] = float.PositiveInfinity; g[n - 1] = float.NegativeInfinity;
        using var p = b.Allocate(n);
        using var gd = b.Allocate(n);
        b.CopyFromHost(g, gd.View);
        var coef = new LoptCoef { Lr = 0.1f };
        b.OptimizerStep(NativeOptimizer.Sgd, coef, p.View, gd.View, TensorView.None(MemoryLocation.CudaDevice), TensorView.None(MemoryLocation.CudaDevice), TensorView.None(MemoryLocation.CudaDevice));
        b.OptimizerStep(NativeOptimizer.Sgd, coef, p.View, gd.View, TensorView.None(MemoryLocation.CudaDevice), TensorView.None(MemoryLocation.CudaDevice), TensorView.None(MemoryLocation.CudaDevice));
        Assert.Equal(6, b.TakeNonFiniteCount());
        Assert.Equal(0, b.TakeNonFiniteCount());
    }

    [Fact]
    public void ManyBuffersComeFromFewChunksAndAreReturned()
    {
        var b = fixture.Backend;
        var before = b.ArenaStats;
        var buffers = Enumerable.Range(1, 500).Select(i => b.Allocate(i * 37)).ToList();
        var during = b.ArenaStats;
        Assert.Equal(before.LiveAllocations + 500, during.LiveAllocations);
        Assert.True(during.ChunkAllocations - before.ChunkAllocations <= 1, $"{during.ChunkAllocations - before.ChunkAllocations} cuMemAlloc calls for 500 small buffers");
        var addresses = buffers.Select(x => x.View.DevicePointer).ToList();
        Assert.All(addresses, a => Assert.Equal(0UL, a % DeviceArena.Alignment));
        Assert.Equal(addresses.Count, addresses.Distinct().Count());
        foreach (var x in buffers) x.Dispose();
        Assert.Equal(before.InUseBytes, b.ArenaStats.InUseBytes);
    }

    [Fact]
    public void EventTimingIsPositiveAndFinite()
    {
        var b = fixture.Backend;
        using var x = b.Allocate(1 << 22);
        using var y = b.Allocate(1 << 22);
        var ms = b.TimeMilliseconds(() => b.Copy(y.View, x.View), 5);
        Assert.True(ms > 0 && double.IsFinite(ms), $"{ms} ms");
    }

    [Fact]
    public void BorrowedStreamWorksAndIsNotDestroyed()
    {
        var owner = fixture.Backend;
        using (var guest = new CudaBackend(stream: owner.Stream))
        {
            Assert.Equal(owner.Stream, guest.Stream);
            using var buf = guest.Allocate(100);
            var data = Random(100, 3);
            guest.CopyFromHost(data, buf.View);
            var back = new float[100];
            guest.CopyToHost(buf.View, back);
            Assert.Equal(data, back);
        }
        owner.Synchronize(); // the owner's stream survived the guest's dispose
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void SgemmStridedBatchedMatchesAReference(bool transA, bool transB)
    {
        var b = fixture.Backend;
        Assert.SkipWhen(CudaTestEnvironment.IsEmulated, "cuBLAS is not emulated");
        const int m = 5, n = 7, k = 4, batch = 3;
        int lda = transA ? k : m, ldb = transB ? n : k, ldc = m;
        int sa = lda * (transA ? m : k), sb = ldb * (transB ? k : n), sc = ldc * n;
        var a = Random(sa * batch, 4);
        var bb = Random(sb * batch, 5);
        var c0 = Random(sc * batch, 6);
        const float alpha = 0.75f, beta = -0.5f;

        var expected = (float[])c0.Clone();
        for (int t = 0; t < batch; t++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (int l = 0; l < k; l++)
                    {
                        var av = transA ? a[t * sa + l + i * lda] : a[t * sa + i + l * lda];
                        var bv = transB ? bb[t * sb + j + l * ldb] : bb[t * sb + l + j * ldb];
                        sum += (double)av * bv;
                    }
                    expected[t * sc + i + j * ldc] = (float)(alpha * sum + beta * c0[t * sc + i + j * ldc]);
                }

        using var da = b.Allocate(a.Length);
        using var db = b.Allocate(bb.Length);
        using var dc = b.Allocate(c0.Length);
        b.CopyFromHost(a, da.View);
        b.CopyFromHost(bb, db.View);
        b.CopyFromHost(c0, dc.View);
        b.Blas.SgemmStridedBatched(transA, transB, m, n, k, alpha, da.View.DevicePointer, lda, sa, db.View.DevicePointer, ldb, sb,
            beta, dc.View.DevicePointer, ldc, sc, batch);
        var actual = new float[c0.Length];
        b.CopyToHost(dc.View, actual);
        for (int i = 0; i < actual.Length; i++)
            Assert.True(MathF.Abs(actual[i] - expected[i]) <= 1e-5f * (1 + MathF.Abs(expected[i])), $"C[{i}] = {actual[i]} vs {expected[i]}");
    }

    [Fact]
    public void SgemmRejectsABadLeadingDimension()
    {
        var b = fixture.Backend;
        Assert.SkipWhen(CudaTestEnvironment.IsEmulated, "cuBLAS is not emulated");
        Assert.Equal("lda", Assert.Throws<ArgumentOutOfRangeException>(() =>
            b.Blas.SgemmStridedBatched(false, false, 5, 5, 5, 1, 1, 4, 0, 1, 5, 0, 0, 1, 5, 0, 1)).ParamName);
    }

    [Fact]
    public void GetFunctionFindsKernelsAndNamesAMissingOne()
    {
        var b = fixture.Backend;
        Assert.False(b.GetFunction("optim.cu", "lopt_adam_step").IsNull);
        var e = Assert.Throws<ArgumentException>(() => b.GetFunction("optim.cu", "no_such_kernel"));
        Assert.Contains("no_such_kernel", e.Message);
        Assert.Throws<ArgumentException>(() => b.GetFunction("missing.cu", "k"));
    }
}
