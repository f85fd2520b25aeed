using System.Diagnostics;
using System.Text.RegularExpressions;
using LearnedOpt.Cuda;

namespace LearnedOpt.Tests.Cuda.Emulation;

/// <summary>
/// Runs the GPU-tier test classes in a child test process whose libcuda is the emulated driver
/// (LOPT_CUDA_PATH), so the driver-side code paths run on a machine without a GPU. A child
/// process because the library resolver binds "cuda" once per process.
/// </summary>
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
        Assert.SkipWhen(CudaTestEnvironment.IsEmulated, "already inside the emulated run");
        Assert.SkipWhen(CudaTestEnvironment.HasDevice, "a real GPU runs the GPU tier directly");
        CudaTestEnvironment.RequireNvrtc();
        var compiler = new[] { "/usr/bin/c++", "/usr/bin/g++", "/usr/local/bin/g++" }.FirstOrDefault(File.Exists);
        Assert.SkipWhen(compiler == null, "no C++ compiler to build the emulated driver");

        using var dir = CudaTestEnvironment.TempCache();
        var library = Build(compiler!, dir.Path);

        var exe = Path.Combine(AppContext.BaseDirectory, "LearnedOpt.Tests");
        var start = File.Exists(exe)
            ? new ProcessStartInfo(exe)
            : new ProcessStartInfo("dotnet") { ArgumentList = { "exec", Path.Combine(AppContext.BaseDirectory, "LearnedOpt.Tests.dll") } };
        // Run directly, the test app uses xunit's own command line (-class), not Microsoft.Testing.Platform's.
        start.ArgumentList.Add("-nocolor");
        foreach (var c in withParity ? GpuTierClasses : GpuTierClasses[..1])
        {
            start.ArgumentList.Add("-class");
            start.ArgumentList.Add(c);
        }
        start.Environment["LOPT_CUDA_PATH"] = library;
        start.Environment[CudaTestEnvironment.EmulatedVariable] = "1";
        start.Environment["LOPT_KERNEL_CACHE"] = Path.Combine(dir.Path, "kernels");
        start.Environment["LOPT_EMULATED_CC_MAJOR"] = ccMajor.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (code, output) = Run(start, TimeSpan.FromMinutes(8));

        Assert.True(code == 0, $"the GPU tier failed on the emulated driver (exit {code}):\n{output}");
        var summary = Regex.Match(output, @"Total: (\d+), Errors: (\d+), Failed: (\d+), Skipped: (\d+)");
        Assert.True(summary.Success, $"no xunit summary in the output:\n{output}");
        int Group(int i) => int.Parse(summary.Groups[i].Value);
        var succeeded = Group(1) - Group(2) - Group(3) - Group(4);
        var expected = (withParity ? CudaOptimizerParityTests.Configs().Count() * CudaOptimizerParityTests.SmallSizes.Length : 0) + 15;
        Assert.True(succeeded >= expected, $"only {succeeded} GPU-tier tests ran on the emulated driver, expected at least {expected}:\n{output}");
    }

    private static string Build(string compiler, string dir)
    {
        var include = Path.Combine(dir, "include");
        foreach (var h in KernelSources.Headers.Where(h => h.IncludeName.StartsWith("lopt/", StringComparison.Ordinal)))
        {
            var path = Path.Combine(include, h.IncludeName);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, h.Text);
        }
        var source = Path.Combine(dir, "emulated_cuda.cpp");
        File.WriteAllText(source, EmulatedDriverSource.Text);
        var library = Path.Combine(dir, "libcuda_emulated.so");
        // The CPU library's flags: no FMA contraction, so the emulated kernels round as liblopt_cpu does.
        var build = new ProcessStartInfo(compiler)
        {
            ArgumentList = { "-std=c++17", "-O2", "-fno-math-errno", "-ffp-contract=off", "-shared", "-fPIC", "-I", include, "-o", library, source },
        };
        var (code, output) = Run(build, TimeSpan.FromMinutes(3));
        Assert.True(code == 0, $"building the emulated driver failed:\n{output}");
        return library;
    }

    private static (int Code, string Output) Run(ProcessStartInfo start, TimeSpan timeout)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout}\n{stdout.Result}{stderr.Result}");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
