using LearnedOpt.Backends;
using LearnedOpt.Interop;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Tests.Cuda;

/// <summary>What the CUDA tests can use on this machine, probed once: a GPU tier and an NVRTC tier.</summary>
public static class CudaTestEnvironment
{
    private static readonly Lazy<(bool Ok, string Why)> Device = new(() =>
        CudaProbe.IsUsable(out var why) ? (true, why) : (false, $"no usable CUDA device: {why}"));

    private static readonly Lazy<(bool Ok, string Why)> Compiler = new(() =>
    {
        NativeLibraryResolver.Install();
        var r = NativeLibraryResolver.Get(LibraryNames.Nvrtc);
        return r.Found ? (true, $"libnvrtc from {r.LoadedFrom}") : (false, $"libnvrtc is not installed; tried: {r.Trace}");
    });

    public static bool HasDevice => Device.Value.Ok;
    public static string Reason => Device.Value.Why;

    /// <summary>True in the child process that runs the GPU tier on the emulated driver (see EmulatedDriverTests).</summary>
    public static bool IsEmulated => Environment.GetEnvironmentVariable(EmulatedVariable) == "1";

    public const string EmulatedVariable = "LOPT_TEST_EMULATED_CUDA";

    public static bool HasNvrtc => Compiler.Value.Ok;
    public static string NvrtcReason => Compiler.Value.Why;

    /// <summary>
    /// Skips an NVRTC-tier test where libnvrtc is missing, except under CI=true: CI installs it,
    /// so there a missing NVRTC is a broken set-up, not a reason to skip the tier.
    /// </summary>
    public static void RequireNvrtc()
    {
        if (!HasNvrtc && Environment.GetEnvironmentVariable("CI") == "true")
            Assert.Fail($"CI=true but NVRTC is unusable: {NvrtcReason}");
        Assert.SkipUnless(HasNvrtc, NvrtcReason);
    }

    /// <summary>A fresh, empty kernel cache folder for one test (deleted by the caller's using).</summary>
    public static TempDirectory TempCache() => new();

    public sealed class TempDirectory : IDisposable
    {
        public TempDirectory()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "lopt-test-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }
}
