using LearnedOpt.Cuda;

namespace LearnedOpt.Tests.Cuda;

/// <summary>Error text and argument checks that need no driver.</summary>
[Trait("tier", "cpu")]
public class CudaErrorTests
{
    [Fact]
    public void MessageNamesTheCallTheCodeAndItsMeaningAndAppendsTheLog()
    {
        var e = new CudaException("cuMemAlloc_v2", 2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory", "line 1\nline 2\n");
        Assert.StartsWith("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory", e.Message);
        Assert.EndsWith("line 1\nline 2", e.Message.ReplaceLineEndings("\n"));
        Assert.Equal(("cuMemAlloc_v2", 2, "CUDA_ERROR_OUT_OF_MEMORY"), (e.Call, e.Code, e.CodeName));
        Assert.DoesNotContain("\n", new CudaException("c", 1, "N", "m").Message);
    }

    [Fact]
    public void CublasFailuresAreNamed()
    {
        var e = Assert.Throws<CudaException>(() => CudaException.ThrowIfCublasFailed(7, "cublasSgemmStridedBatched"));
        Assert.Contains("CUBLAS_STATUS_INVALID_VALUE (7)", e.Message);
        Assert.Contains("cublasSgemmStridedBatched", e.Message);
        CudaException.ThrowIfCublasFailed(0, "ok");
    }

    [Fact]
    public unsafe void LaunchChecksItsArgumentsBeforeCallingTheDriver()
    {
        Assert.Equal("function", Assert.Throws<ArgumentException>(() => KernelLauncher.Launch(default, 1, 1, 0, 0, null)).ParamName);
        var f = new CudaFunction(1, "k");
        Assert.Equal("grid", Assert.Throws<ArgumentOutOfRangeException>(() => KernelLauncher.Launch(f, new Dim3(0), 1, 0, 0, null)).ParamName);
        Assert.Equal("block", Assert.Throws<ArgumentOutOfRangeException>(() => KernelLauncher.Launch(f, 1, new Dim3(256, 0), 0, 0, null)).ParamName);
    }

    [Fact]
    public void PeakBandwidthIsTwoTransfersPerClockTimesTheBusWidth()
    {
        // H100 SXM: 2619 MHz HBM3 x 5120 bit = 3352 GB/s (NVIDIA's datasheet says 3.35 TB/s).
        var d = new CudaDevice(0, "H100", 9, 0, 132, 2048, 1024, 32, 80UL << 30, 2_619_000, 5120, 50 << 20);
        Assert.Equal(3352.3, d.PeakBandwidthGBps, 1);
        Assert.Equal("sm_90", d.ArchName);
        Assert.Equal(0, (d with { MemoryClockKHz = 0 }).PeakBandwidthGBps);
    }
}
