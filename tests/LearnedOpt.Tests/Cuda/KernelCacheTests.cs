using LearnedOpt.Cuda;

namespace LearnedOpt.Tests.Cuda;

[Trait("tier", "cpu")]
public class KernelCacheTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] vars)
        => k => vars.FirstOrDefault(v => v.Key == k).Value;

    [Fact]
    public void ExplicitVariableWinsOverXdgAndHome()
        => Assert.Equal("/x/cache", KernelCache.DefaultDirectory(Env(("LOPT_KERNEL_CACHE", "/x/cache"), ("XDG_CACHE_HOME", "/xdg")), "/home/u"));

    [Fact]
    public void XdgCacheHomeIsUsedNext()
        => Assert.Equal("/xdg/learnedopt/kernels", KernelCache.DefaultDirectory(Env(("XDG_CACHE_HOME", "/xdg")), "/home/u"));

    [Fact]
    public void HomeDotCacheIsTheDefault()
        => Assert.Equal("/home/u/.cache/learnedopt/kernels", KernelCache.DefaultDirectory(Env(("LOPT_KERNEL_CACHE", "  ")), "/home/u"));

    [Fact]
    public void WriteThenReadRoundTripsAndLeavesNoTemporaryFiles()
    {
        using var dir = CudaTestEnvironment.TempCache();
        var cache = new KernelCache(Path.Combine(dir.Path, "sub"));
        var payload = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray();
        Assert.True(cache.TryWrite("e.cubin", payload));
        Assert.Equal(payload, cache.TryRead("e.cubin"));
        Assert.Equal(["e.cubin"], Directory.GetFiles(cache.Directory).Select(Path.GetFileName));
    }

    [Fact]
    public void MissingOrForeignFilesReadAsMisses()
    {
        using var dir = CudaTestEnvironment.TempCache();
        var cache = new KernelCache(dir.Path);
        Assert.Null(cache.TryRead("absent"));
        File.WriteAllBytes(cache.PathFor("foreign"), new byte[100]);
        Assert.Null(cache.TryRead("foreign"));
    }

    [Fact]
    public void EveryFlippedByteIsDetected()
    {
        using var dir = CudaTestEnvironment.TempCache();
        var cache = new KernelCache(dir.Path);
        cache.TryWrite("e", [1, 2, 3, 4, 5]);
        var good = File.ReadAllBytes(cache.PathFor("e"));
        for (int i = 0; i < good.Length; i++)
        {
            var bad = (byte[])good.Clone();
            bad[i] ^= 1;
            File.WriteAllBytes(cache.PathFor("e"), bad);
            Assert.Null(cache.TryRead("e"));
        }
    }
}
