using System.Text;
using System.Text.RegularExpressions;
using LearnedOpt.Backends;
using LearnedOpt.Cuda;
using LearnedOpt.Interop;

namespace LearnedOpt.Tests.Cuda;

/// <summary>NVRTC tier: runs wherever libnvrtc is installed, no GPU needed.</summary>
[Trait("tier", "nvrtc")]
public class NvrtcCompileTests
{
    public static TheoryData<string, int> FilesAndArchs()
    {
        var data = new TheoryData<string, int>();
        foreach (var f in KernelSources.KernelFiles)
            foreach (var arch in new[] { 80, 90 })
                data.Add(f, arch);
        return data;
    }

    private static void RequireNvrtc() => CudaTestEnvironment.RequireNvrtc();

    [Fact]
    public void OptimKernelFileIsEmbedded()
        => Assert.Contains("optim.cu", KernelSources.KernelFiles);

    [Theory]
    [MemberData(nameof(FilesAndArchs))]
    public void EveryKernelFileCompilesWithoutWarningsAndListsItsKernels(string file, int arch)
    {
        RequireNvrtc();
        using var dir = CudaTestEnvironment.TempCache();
        var compiled = new KernelCompiler(new KernelCache(dir.Path)).Compile(file, CompileTarget.Cubin(arch));

        Assert.False(compiled.FromCache);
        Assert.Equal("", compiled.Log);
        Assert.True(CubinInfo.IsElf(compiled.Image));
        var names = CubinInfo.Kernels(compiled.Image).Select(k => k.Name).ToHashSet();
        foreach (var expected in ExpectedKernels(file))
            Assert.Contains(expected, names);
        Assert.All(CubinInfo.Kernels(compiled.Image), k => Assert.True(k.CodeBytes > 0, $"{k.Name} has no code"));
    }

    /// <summary>Kernels declared directly in the source, plus the macro-generated optimizer steps of optim.cu.</summary>
    private static IEnumerable<string> ExpectedKernels(string file)
    {
        var source = KernelSources.Source(file);
        var direct = Regex.Matches(source, @"extern\s+""C""\s+__global__\s+(?:__launch_bounds__\([^)]*\)\s+)?void\s+(?:__launch_bounds__\([^)]*\)\s+)?(\w+)\s*\(")
            .Select(m => m.Groups[1].Value).Where(n => n != "name");
        if (file != "optim.cu") return direct;
        return direct.Concat(Enum.GetValues<NativeOptimizer>().Select(CudaBackend.KernelName)).Append("lopt_copy");
    }

    [Fact]
    public void OptimCubinHoldsExactlyTheExpectedKernels()
    {
        RequireNvrtc();
        using var dir = CudaTestEnvironment.TempCache();
        var compiled = new KernelCompiler(new KernelCache(dir.Path)).Compile("optim.cu", CompileTarget.Cubin(80));
        var expected = Enum.GetValues<NativeOptimizer>().Select(CudaBackend.KernelName).Append("lopt_copy").Order(StringComparer.Ordinal);
        Assert.Equal(expected, CubinInfo.Kernels(compiled.Image).Select(k => k.Name));
    }

    [Fact]
    public void CacheReturnsTheSameBytes()
    {
        RequireNvrtc();
        using var dir = CudaTestEnvironment.TempCache();
        var compiler = new KernelCompiler(new KernelCache(dir.Path));
        var first = compiler.Compile("optim.cu", CompileTarget.Cubin(90));
        var second = compiler.Compile("optim.cu", CompileTarget.Cubin(90));

        Assert.False(first.FromCache);
        Assert.True(second.FromCache);
        Assert.Equal(first.Image, second.Image);
        Assert.Equal(first.CacheKey, second.CacheKey);
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    [InlineData("empty")]
    public void CorruptCacheEntryIsRecompiled(string damage)
    {
        RequireNvrtc();
        using var dir = CudaTestEnvironment.TempCache();
        var compiler = new KernelCompiler(new KernelCache(dir.Path));
        var original = compiler.Compile("optim.cu", CompileTarget.Cubin(80));
        var path = Assert.Single(Directory.GetFiles(dir.Path));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, damage switch
        {
            "flip" => Flip(bytes, bytes.Length / 2),
            "truncate" => bytes[..(bytes.Length - 100)],
            _ => [],
        });

        var again = compiler.Compile("optim.cu", CompileTarget.Cubin(80));
        Assert.False(again.FromCache);
        Assert.Equal(original.Image, again.Image);
        // The entry was rewritten whole: the next compile is a hit again.
        Assert.True(compiler.Compile("optim.cu", CompileTarget.Cubin(80)).FromCache);
    }

    private static byte[] Flip(byte[] b, int i)
    {
        var copy = (byte[])b.Clone();
        copy[i] ^= 0x5a;
        return copy;
    }

    [Fact]
    public void CacheKeyChangesWithEveryInput()
    {
        var headers = new[] { new KernelSources.KernelHeader("lopt/a.h", "int a;") };
        string Key(string file = "k.cu", string src = "x", IReadOnlyList<KernelSources.KernelHeader>? h = null, string opt = "-std=c++17", int arch = 80, bool ptx = false, int minor = 8)
            => KernelCompiler.CacheKey(file, src, h ?? headers, [opt], new CompileTarget(arch, ptx), (11, minor));
        var keys = new[]
        {
            Key(), Key(file: "j.cu"), Key(src: "y"), Key(h: [new("lopt/a.h", "int b;")]), Key(h: [new("lopt/b.h", "int a;")]),
            Key(opt: "-std=c++14"), Key(arch: 90), Key(ptx: true), Key(minor: 7),
        };
        Assert.Equal(keys.Length, keys.Distinct().Count());
        Assert.Equal(Key(), Key());
        // Length prefixes: moving text between two inputs changes the key.
        Assert.NotEqual(KernelCompiler.CacheKey("ab", "c", [], [], CompileTarget.Cubin(80), (11, 8)),
                        KernelCompiler.CacheKey("a", "bc", [], [], CompileTarget.Cubin(80), (11, 8)));
    }

    [Fact]
    public void PtxTargetGivesNulTerminatedPtxForTheVirtualArch()
    {
        RequireNvrtc();
        using var dir = CudaTestEnvironment.TempCache();
        var compiled = new KernelCompiler(new KernelCache(dir.Path)).Compile("optim.cu", new CompileTarget(80, Ptx: true));
        Assert.Equal(0, compiled.Image[^1]);
        var ptx = Encoding.ASCII.GetString(compiled.Image, 0, compiled.Image.Length - 1);
        Assert.Contains(".target sm_80", ptx);
        Assert.Contains(".entry lopt_adam_step", ptx);
        Assert.False(CubinInfo.IsElf(compiled.Image));
    }

    [Fact]
    public void CompileErrorCarriesTheProgramLog()
    {
        RequireNvrtc();
        using var dir = CudaTestEnvironment.TempCache();
        var compiler = new KernelCompiler(new KernelCache(dir.Path));
        var e = Assert.Throws<CudaException>(() =>
            compiler.Compile("broken.cu", "#include \"lopt_common.h\"\nextern \"C\" __global__ void k(float* p) { p[0] = undefined_name; }", CompileTarget.Cubin(80)));
        Assert.Equal(Nvrtc.ErrorCompilation, e.Code);
        Assert.Equal("NVRTC_ERROR_COMPILATION", e.CodeName);
        Assert.Contains("nvrtcCompileProgram(broken.cu, sm_80)", e.Message);
        Assert.Contains("undefined_name", e.Log);
        Assert.Contains("undefined_name", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void BothIncludeSpellingsResolve()
    {
        RequireNvrtc();
        using var dir = CudaTestEnvironment.TempCache();
        var compiler = new KernelCompiler(new KernelCache(dir.Path));
        var src = "#include \"lopt/lopt_common.h\"\n#include \"lopt_optim.h\"\n" +
                  "extern \"C\" __global__ void both(float* p) { p[0] = lopt_asinh(p[0]); }";
        var compiled = compiler.Compile("both.cu", src, CompileTarget.Cubin(80));
        Assert.Equal("", compiled.Log);
        Assert.Equal(["both"], CubinInfo.Kernels(compiled.Image).Select(k => k.Name));
    }

    [Fact]
    public void NvrtcReportsVersionAndSupportsAmpereAndHopper()
    {
        RequireNvrtc();
        var (major, _) = CudaLibraries.NvrtcVersion();
        Assert.True(major >= 11, $"NVRTC {major}");
        var archs = CudaLibraries.NvrtcSupportedArchs();
        Assert.Contains(80, archs);
        Assert.Contains(90, archs);
        Assert.Equal(archs.Order(), archs);
    }

    [Fact]
    public void UnwritableCacheStillCompiles()
    {
        RequireNvrtc();
        using var dir = CudaTestEnvironment.TempCache();
        var blocker = Path.Combine(dir.Path, "file-not-folder");
        File.WriteAllText(blocker, "x");
        var compiled = new KernelCompiler(new KernelCache(Path.Combine(blocker, "kernels"))).Compile("optim.cu", CompileTarget.Cubin(80));
        Assert.True(CubinInfo.IsElf(compiled.Image));
    }
}
