using LearnedOpt.Cuda;
using LearnedOpt.Interop;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Tests.Cuda;

[Trait("tier", "cpu")]
public class LibraryResolutionTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] vars)
        => k => vars.FirstOrDefault(v => v.Key == k).Value;

    [Fact]
    public void NvrtcSonamesAreNewestFirstThenToolkitFolders()
    {
        var list = LibraryCandidates.For(LibraryNames.Nvrtc, Env(), "/app");
        Assert.Equal(["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"], list.Where(c => !c.Contains('/')));
        int Index(string c) => list.ToList().IndexOf(c);
        Assert.True(Index("libnvrtc.so.11.2") < Index("/usr/local/cuda/lib64/libnvrtc.so.13"), "the loader's search comes before /usr/local/cuda");
        Assert.Contains("/usr/local/cuda/targets/x86_64-linux/lib/libnvrtc.so.12", list);
    }

    [Fact]
    public void OverrideVariableComesFirst()
    {
        var list = LibraryCandidates.For(LibraryNames.Cublas, Env(("LOPT_CUBLAS_PATH", "/opt/my/libcublas.so.12")), "/app");
        Assert.Equal("/opt/my/libcublas.so.12", list[0]);
        Assert.Equal("LOPT_NVRTC_PATH", LibraryCandidates.OverrideVariable("nvrtc"));
    }

    [Fact]
    public void CudaPathFoldersFollowEachSoname()
    {
        var list = LibraryCandidates.For(LibraryNames.Cublas, Env(("CUDA_PATH", "/opt/cuda-12.4")), "/app").ToList();
        var i = list.IndexOf("libcublas.so.12");
        Assert.Equal("/opt/cuda-12.4/lib64/libcublas.so.12", list[i + 1]);
        Assert.Equal("/opt/cuda-12.4/targets/x86_64-linux/lib/libcublas.so.12", list[i + 2]);
        Assert.Equal(list.Count, list.Distinct().Count());
    }

    [Fact]
    public void DriverIsOnlyLookedUpThroughTheLoaderNotTheToolkit()
    {
        // libcuda belongs to the driver; the toolkit's copy under /usr/local/cuda is a stub that cannot run kernels.
        var list = LibraryCandidates.For(LibraryNames.Cuda, Env(), "/app");
        Assert.Equal(["libcuda.so.1", "libcuda.so"], list);
    }

    [Fact]
    public void MissingLibraryErrorListsEveryAttempt()
    {
        const string name = "lopt_test_library_that_does_not_exist";
        var resolution = NativeLibraryResolver.Get(name);
        Assert.False(resolution.Found);
        var candidates = LibraryCandidates.For(name);
        Assert.Equal(candidates, resolution.Attempts.Select(a => a.Candidate));
        Assert.All(resolution.Attempts, a => Assert.False(string.IsNullOrWhiteSpace(a.Error)));

        var e = Assert.Throws<CudaException>(() => CudaLibraries.Require(name, "someCall"));
        Assert.Contains("someCall", e.Message);
        Assert.Contains($"'{name}'", e.Message);
        foreach (var c in candidates) Assert.Contains(c, e.Message);
        Assert.Equal("someCall", e.Call);
        Assert.Equal("LIBRARY_NOT_LOADED", e.CodeName);
    }

    [Fact]
    public void LoaderErrorKeepsTheLoadersWordsWithoutTheGenericAdvice()
    {
        const string message = "Unable to load shared library 'libx.so.1' or one of its dependencies. In order to help diagnose loading problems, consider using a tool like strace.\nlibx.so.1: cannot open shared object file: No such file or directory\n";
        Assert.Equal("cannot open shared object file: No such file or directory", NativeLibraryResolver.LoaderError(message, "libx.so.1"));
        Assert.Equal("/a/libx.so: invalid ELF header", NativeLibraryResolver.LoaderError("advice\n/a/libx.so: invalid ELF header", "libx.so"));
        Assert.Equal("single line", NativeLibraryResolver.LoaderError("single line", "libx.so"));
    }

    [Fact]
    public void ProbeExplainsWhyCudaIsNotUsableOrSaysHowManyDevices()
    {
        var usable = LearnedOpt.Backends.CudaProbe.IsUsable(out var reason);
        Assert.False(string.IsNullOrWhiteSpace(reason));
        if (!usable && !NativeLibraryResolver.Get(LibraryNames.Cuda).Found)
        {
            Assert.Contains("libcuda", reason);
            Assert.Contains("libcuda.so.1", reason); // the resolver's trace
        }
        if (usable) Assert.Contains("CUDA device", reason);
    }

    [Fact]
    public void AutoSelectionFallsBackToCpuWithTheReason()
    {
        Assert.SkipWhen(CudaTestEnvironment.HasDevice, "a CUDA device is present, so auto selects CUDA");
        using var backend = LearnedOpt.Backends.BackendSelector.Create(LearnedOpt.Backends.BackendChoice.Auto, out var reason);
        Assert.Equal(LearnedOpt.Backends.BackendKind.Cpu, backend.Kind);
        Assert.StartsWith("cpu (auto: ", reason);
        var e = Assert.Throws<InvalidOperationException>(() => LearnedOpt.Backends.BackendSelector.Create(LearnedOpt.Backends.BackendChoice.Cuda, out _));
        Assert.Contains("BackendChoice.Cuda was requested", e.Message);   // the API's name; the CLI says --backend cuda
    }
}
