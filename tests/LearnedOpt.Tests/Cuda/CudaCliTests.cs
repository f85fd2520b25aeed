using LearnedOpt.Backends;
using LearnedOpt.Cli;
using LearnedOpt.Cli.Commands;
using LearnedOpt.Interop;

namespace LearnedOpt.Tests.Cuda;

/// <summary>`lopt info` and `lopt kernels` report rather than crash, with or without CUDA.</summary>
public class CudaCliTests
{
    [Trait("tier", "cpu")]
    [Fact]
    public void InfoReportsEveryLibraryAndTheChosenBackend()
    {
        var o = new StringWriter();
        Assert.Equal(0, InfoCommand.Run(BackendChoice.Auto, o));
        var text = o.ToString();
        foreach (var label in new[] { "runtime:", "cpu library:", "library cuda:", "library nvrtc:", "library cublas:", "driver:", "nvrtc:", "cublas:", "devices:", "kernel cache:", "backend:" })
            Assert.Contains(label, text);
        Assert.Contains(CudaTestEnvironment.HasDevice ? "backend: cuda" : "backend: cpu (auto: ", text);
        if (CudaTestEnvironment.HasNvrtc) Assert.Contains("sm_90", text);
    }

    [Trait("tier", "cpu")]
    [Fact]
    public void InfoWithForcedCpuSucceeds() => Assert.Equal(0, InfoCommand.Run(BackendChoice.Cpu, new StringWriter()));

    [Trait("tier", "cpu")]
    [Fact]
    public void InfoWithForcedCudaExplainsWhenUnusable()
    {
        Assert.SkipWhen(CudaTestEnvironment.HasDevice, "a usable CUDA device is present, so forced CUDA does not fail");
        var o = new StringWriter();
        Assert.Equal(1, InfoCommand.Run(BackendChoice.Cuda, o));
        Assert.Contains("backend: unavailable: --backend cuda was requested", o.ToString());
    }

    [Trait("tier", "nvrtc")]
    [Fact]
    public void KernelsListsEveryOptimizerKernelForTheRequestedArchs()
    {
        CudaTestEnvironment.RequireNvrtc();
        var o = new StringWriter();
        Assert.Equal(0, KernelsCommand.Run(["sm_80", "sm_90"], o));
        var lines = o.ToString().Split('\n');
        foreach (var arch in new[] { "sm_80", "sm_90" })
            foreach (var kernel in Enum.GetValues<NativeOptimizer>().Select(CudaBackend.KernelName).Append("lopt_copy"))
                Assert.Contains(lines, l => l.StartsWith("optim.cu") && l.Contains($" {kernel} ") && l.Contains(arch));
    }

    [Trait("tier", "cpu")]
    [Fact]
    public void KernelsRejectsAnUnknownArchWithExitCode2()
        => Assert.Equal(2, LoptProgram.Run(["kernels", "--arch", "gfx90a"]));
}
