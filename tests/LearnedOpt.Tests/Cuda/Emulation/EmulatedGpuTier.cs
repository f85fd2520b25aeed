using System.Diagnostics;
using LearnedOpt.Cuda;

namespace LearnedOpt.Tests.Cuda.Emulation;

/// <summary>
/// Runs GPU-tier test classes in a child test process whose libcuda (and, where given, cuBLAS) is
/// an emulated driver built here from C++ source (<see cref="EmulatedDriverSource"/>, possibly
/// extended by a test with more kernels as host code). A child process because the library
/// resolver binds "cuda" once per process. Shared by every emulation test.
/// </summary>
internal static class EmulatedGpuTier
{
    /// <summary>Skips unless this is the outer run on a machine without a GPU, with NVRTC and a C++ compiler; returns the compiler.</summary>
    public static string RequireHost()
    {
        Assert.SkipWhen(CudaTestEnvironment.IsEmulated, "already inside the emulated run");
        Assert.SkipWhen(CudaTestEnvironment.HasDevice, "a real GPU runs the GPU tier directly");
        CudaTestEnvironment.RequireNvrtc();
        var compiler = new[] { "/usr/bin/c++", "/usr/bin/g++", "/usr/local/bin/g++" }.FirstOrDefault(File.Exists);
        Assert.SkipWhen(compiler == null, "no C++ compiler to build the emulated driver");
        return compiler!;
    }

    /// <summary>
    /// Compiles <paramref name="source"/> (with our headers, and <paramref name="extraFiles"/> beside it
    /// for #include) into dir/libcuda_emulated.so with the CPU library's flags (no FMA contraction, so
    /// emulated kernels round as liblopt_cpu does); returns its path.
    /// </summary>
    public static string Build(string compiler, string dir, string source, params (string Name, string Text)[] extraFiles)
    {
        var include = Path.Combine(dir, "include");
        foreach (var h in KernelSources.Headers.Where(h => h.IncludeName.StartsWith("lopt/", StringComparison.Ordinal)))
        {
            var path = Path.Combine(include, h.IncludeName);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, h.Text);
        }
        foreach (var (name, text) in extraFiles) File.WriteAllText(Path.Combine(dir, name), text);
        var file = Path.Combine(dir, "emulated_cuda.cpp");
        File.WriteAllText(file, source);
        var library = Path.Combine(dir, "libcuda_emulated.so");
        var build = new ProcessStartInfo(compiler)
        {
            ArgumentList = { "-std=c++17", "-O2", "-fno-math-errno", "-ffp-contract=off", "-shared", "-fPIC", "-I", include, "-I", dir, "-o", library, file },
        };
        var (code, output) = Run(build, TimeSpan.FromMinutes(3));
        Assert.True(code == 0, $"building the emulated driver failed:\n{output}");
        return library;
    }

    /// <summary>
    /// Runs <paramref name="classes"/> of this test app in a child process on <paramref name="library"/>
    /// (also as cuBLAS when <paramref name="asCublas"/>) and asserts what the run means: a clean exit, every
    /// test method of those classes ran, and every case passed, except cases that skip for the reason
    /// <paramref name="allowedSkips"/> gives for their method.
    /// Returns the child's results.
    /// </summary>
    public static IReadOnlyList<ChildTestResult> RunClasses(string library, string dir, IEnumerable<Type> classes, TimeSpan timeout, bool asCublas = false,
                                                            IReadOnlyDictionary<string, string>? environment = null,
                                                            IReadOnlyDictionary<string, string>? allowedSkips = null)
    {
        var types = classes.ToArray();
        var exe = Path.Combine(AppContext.BaseDirectory, "LearnedOpt.Tests");
        var start = File.Exists(exe)
            ? new ProcessStartInfo(exe)
            : new ProcessStartInfo("dotnet") { ArgumentList = { "exec", Path.Combine(AppContext.BaseDirectory, "LearnedOpt.Tests.dll") } };
        // Run directly, the test app uses xunit's own command line (-class, -xml), not Microsoft.Testing.Platform's.
        var xml = Path.Combine(dir, "child-results.xml");
        start.ArgumentList.Add("-nocolor");
        start.ArgumentList.Add("-xml");
        start.ArgumentList.Add(xml);
        foreach (var c in types)
        {
            start.ArgumentList.Add("-class");
            start.ArgumentList.Add(c.FullName!);
        }
        start.Environment["LOPT_CUDA_PATH"] = library;
        if (asCublas) start.Environment["LOPT_CUBLAS_PATH"] = library;
        start.Environment[CudaTestEnvironment.EmulatedVariable] = "1";
        start.Environment["LOPT_KERNEL_CACHE"] = Path.Combine(dir, "kernels");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        var (code, output) = Run(start, timeout);

        Assert.True(code == 0, $"the GPU tier failed on the emulated driver (exit {code}):\n{output}");
        Assert.True(File.Exists(xml), $"the child wrote no results to {xml}:\n{output}");
        var results = ChildTestResult.Read(xml);
        // Every case passes, or skips for the reason allowed for its method on the emulated driver.
        bool Allowed(ChildTestResult r) => r.Outcome == "Skip" && allowedSkips != null && allowedSkips.TryGetValue(r.Method, out var reason) &&
                                           r.SkipReason?.Contains(reason, StringComparison.Ordinal) == true;
        var bad = results.Where(r => r.Outcome != "Pass" && !Allowed(r)).ToArray();
        Assert.True(bad.Length == 0, $"{bad.Length} GPU-tier tests did not pass on the emulated driver: " +
            string.Join("; ", bad.Select(r => $"{r.Name} ({r.Outcome}{(r.SkipReason is { } why ? ": " + why : "")})")) + $"\n{output}");
        foreach (var type in types)
            foreach (var method in TestMethods(type))
                Assert.True(results.Any(r => r.Class == type.FullName && r.Method == method), $"{type.Name}.{method} did not run on the emulated driver");
        Assert.DoesNotContain(results, r => !types.Any(t => t.FullName == r.Class));
        return results;
    }

    /// <summary>The [Fact] and [Theory] methods of a test class (a theory is a fact in xunit v3).</summary>
    public static IEnumerable<string> TestMethods(Type type) =>
        type.GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static)
            .Where(m => m.GetCustomAttributes(typeof(FactAttribute), inherit: true).Length > 0)
            .Select(m => m.Name)
            .Distinct();

    /// <summary>Inserts <paramref name="before"/> ahead of <paramref name="anchor"/>; a missing anchor fails, naming the test to update.</summary>
    public static string Splice(string text, string anchor, string before, string owner)
    {
        int at = text.IndexOf(anchor, StringComparison.Ordinal);
        Assert.True(at >= 0, $"EmulatedDriverSource changed: anchor '{anchor}' not found; update {owner}.");
        return text.Insert(at, before);
    }

    public static (int Code, string Output) Run(ProcessStartInfo start, TimeSpan timeout)
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
