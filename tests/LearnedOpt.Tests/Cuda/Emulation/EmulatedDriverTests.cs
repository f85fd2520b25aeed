namespace LearnedOpt.Tests.Cuda.Emulation;

/// <summary>
/// Runs the GPU-tier test classes in a child test process whose libcuda is the emulated driver
/// (LOPT_CUDA_PATH), so the driver-side code paths run on a machine without a GPU. A child
/// process because the library resolver binds "cuda" once per process.
/// </summary>
[Trait("tier", "emulated")]
public class EmulatedDriverTests
{
    private static readonly Type[] GpuTierClasses = [typeof(CudaBackendTests), typeof(CudaOptimizerParityTests), typeof(Tasks.BatchedWrapperCudaTests)];

    // cuBLAS is emulated only where a test splices it in (ClassifierEmulationTests); the large parity size only costs time.
    private static readonly Dictionary<string, string> AllowedSkips = new()
    {
        [nameof(CudaOptimizerParityTests.CudaMatchesCpuAfterTenSteps)] = "the large size only costs time",
        [nameof(CudaBackendTests.SgemmStridedBatchedMatchesAReference)] = "cuBLAS is not emulated",
        [nameof(CudaBackendTests.SgemmRejectsABadLeadingDimension)] = "cuBLAS is not emulated",
    };

    /// <param name="ccMajor">9: an sm_90 device (CUBIN); 12: a device newer than NVRTC 11.8 knows, so the backend loads PTX.</param>
    [Theory]
    [InlineData(9, true)]
    [InlineData(12, false)]
    public void GpuTierPassesOnTheEmulatedDriver(int ccMajor, bool withParity)
    {
        var compiler = EmulatedGpuTier.RequireHost();
        using var dir = CudaTestEnvironment.TempCache();
        var library = EmulatedGpuTier.Build(compiler, dir.Path, EmulatedDriverSource.Text);
        var results = EmulatedGpuTier.RunClasses(library, dir.Path, withParity ? GpuTierClasses : GpuTierClasses[..1], TimeSpan.FromMinutes(8),
            environment: new Dictionary<string, string> { ["LOPT_EMULATED_CC_MAJOR"] = ccMajor.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            allowedSkips: AllowedSkips);
        // Every optimizer config at every small size; only the large size is left to a real GPU.
        int parity = results.Count(r => r.Method == nameof(CudaOptimizerParityTests.CudaMatchesCpuAfterTenSteps) && r.Outcome == "Pass");
        Assert.Equal(withParity ? CudaOptimizerParityTests.Configs().Count() * CudaOptimizerParityTests.SmallSizes.Length : 0, parity);
    }
}
