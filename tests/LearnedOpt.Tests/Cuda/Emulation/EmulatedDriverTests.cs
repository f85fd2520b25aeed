namespace LearnedOpt.Tests.Cuda.Emulation;

/// <summary>
/// Runs the GPU-tier test classes in a child test process whose libcuda is the emulated driver
/// (LOPT_CUDA_PATH), so the driver-side code paths run on a machine without a GPU. A child
/// process because the library resolver binds "cuda" once per process.
/// </summary>
[Trait("tier", "emulated")]
public class EmulatedDriverTests
{
    private static readonly string[] GpuTierClasses =
    [
        "LearnedOpt.Tests.Cuda.CudaBackendTests",
        "LearnedOpt.Tests.Cuda.CudaOptimizerParityTests",
        "LearnedOpt.Tests.Tasks.BatchedWrapperCudaTests",
    ];

    /// <param name="ccMajor">9: an sm_90 device (CUBIN); 12: a device newer than NVRTC 11.8 knows, so the backend loads PTX.</param>
    [Theory]
    [InlineData(9, true)]
    [InlineData(12, false)]
    public void GpuTierPassesOnTheEmulatedDriver(int ccMajor, bool withParity)
    {
        var compiler = EmulatedGpuTier.RequireHost();
        using var dir = CudaTestEnvironment.TempCache();
        var library = EmulatedGpuTier.Build(compiler, dir.Path, EmulatedDriverSource.Text);
        int succeeded = EmulatedGpuTier.RunClasses(library, dir.Path, withParity ? GpuTierClasses : GpuTierClasses[..1], TimeSpan.FromMinutes(8),
            environment: new Dictionary<string, string> { ["LOPT_EMULATED_CC_MAJOR"] = ccMajor.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var expected = (withParity ? CudaOptimizerParityTests.Configs().Count() * CudaOptimizerParityTests.SmallSizes.Length : 0) + 15;
        Assert.True(succeeded >= expected, $"only {succeeded} GPU-tier tests ran on the emulated driver, expected at least {expected}");
    }
}
