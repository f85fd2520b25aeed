using System.CommandLine;
using System.Runtime.InteropServices;
using LearnedOpt.Backends;
using LearnedOpt.Cuda;
using LearnedOpt.Interop;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Cli.Commands;

/// <summary>
/// `lopt info [--verbose]`: what this machine offers: runtime, native libraries (where found; for a
/// missing one the names tried, and with --verbose every path tried and why it failed), versions,
/// devices, kernel cache, and the backend that would be chosen and why.
/// Every CUDA probe is guarded, so it reports rather than crashes on a machine without CUDA.
/// </summary>
public sealed class InfoCommand : ICommandFactory
{
    public Command Create()
    {
        var backend = new Option<string>("--backend")
        {
            Description = "Backend to select: auto, cpu or cuda.",
            DefaultValueFactory = _ => "auto",
        };
        var verbose = new Option<bool>("--verbose") { Description = "For each library that was not found, list every path tried and why it failed." };
        var cmd = new Command("info", "Show the runtime, native libraries, CUDA devices and the backend that would be used.");
        cmd.Options.Add(backend);
        cmd.Options.Add(verbose);
        cmd.SetAction(parse => Run(BackendSelector.Parse(parse.GetValue(backend)), Console.Out, parse.GetValue(verbose)));
        return cmd;
    }

    public static int Run(BackendChoice choice, TextWriter o, bool verbose = false)
    {
        NativeLibraryResolver.Install();
        o.WriteLine($"runtime: {RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier}), {Environment.ProcessorCount} processors");
        CpuLibrary(o, verbose);
        foreach (var name in new[] { LibraryNames.Cuda, LibraryNames.Nvrtc, LibraryNames.Cublas })
        {
            var r = NativeLibraryResolver.Get(name);
            o.WriteLine(r.Found ? $"library {name}: {r.LoadedFrom}{MappedFile(r.LoadedFrom!)}" : $"library {name}: {NotFound(r, verbose)}");
        }

        Guarded(o, "driver", LibraryNames.Cuda, () => { var (ma, mi) = CudaLibraries.DriverVersion(); return $"CUDA {ma}.{mi}"; });
        Guarded(o, "nvrtc", LibraryNames.Nvrtc, () =>
        {
            var (ma, mi) = CudaLibraries.NvrtcVersion();
            return $"{ma}.{mi}, archs {string.Join(" ", CudaLibraries.NvrtcSupportedArchs().Select(a => $"sm_{a}"))}";
        });
        Guarded(o, "cublas", LibraryNames.Cublas, () => { var (ma, mi, pa) = CudaLibraries.CublasVersion(); return $"{ma}.{mi}.{pa}"; });
        Devices(o);

        var cache = KernelCache.DefaultDirectory();
        var entries = Directory.Exists(cache) ? Directory.GetFiles(cache).Length : 0;
        o.WriteLine($"kernel cache: {cache} ({entries} entries)");

        try
        {
            using var b = BackendSelector.Create(choice, out var reason);
            o.WriteLine($"backend: {reason}");
            o.WriteLine($"  {b.Description}");
            if (b is IDeviceMemoryInfo device)
            {
                var (free, total) = device.MemoryInfo();
                o.WriteLine($"  device memory: {free >> 20} MiB free of {total >> 20} MiB; arena: {device.ArenaStats}");
            }
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or CudaException or DllNotFoundException or NotSupportedException)
        {
            o.WriteLine($"backend: unavailable: {CliFlags.Message(e).ReplaceLineEndings(" ")}");
            return 1;
        }
    }

    /// <summary>For a soname the loader found, the file it mapped (from /proc/self/maps), e.g. " (/usr/lib/.../libnvrtc.so.11.8.89)".</summary>
    private static string MappedFile(string loadedFrom)
    {
        if (loadedFrom.Contains('/')) return "";
        var stem = loadedFrom.Split(".so")[0] + ".so";
        try
        {
            var path = File.ReadLines("/proc/self/maps")
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
                .FirstOrDefault(f => f.StartsWith('/') && Path.GetFileName(f).StartsWith(stem, StringComparison.Ordinal));
            return path == null ? "" : $" ({path})";
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>
    /// What a missing library's line says: by default one line with the file names tried (each
    /// once, in order); verbose, every candidate path and its loader error on a line of its own.
    /// </summary>
    public static string NotFound(NativeLibraryResolver.Resolution r, bool verbose)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (verbose)
            return "not found; tried:" + string.Concat(r.Attempts.Select(a => $"{Environment.NewLine}    {a.Candidate}: {a.Error}"));
        var names = r.Attempts.Select(a => Path.GetFileName(a.Candidate)).Distinct().ToList();
        return $"not found (tried {r.Attempts.Count} places for {string.Join(", ", names)}; lopt info --verbose lists them)";
    }

    private static void CpuLibrary(TextWriter o, bool verbose)
    {
        try
        {
            using var cpu = BackendSelector.CreateCpu();
            o.WriteLine($"cpu library: {NativeLibraryResolver.Get(LibraryNames.LoptCpu).LoadedFrom}, {cpu.InstructionSet} " +
                        $"({InstructionSetReason()}), {cpu.Threads} OpenMP threads");
        }
        catch (Exception e) when (e is DllNotFoundException or InvalidOperationException or EntryPointNotFoundException)
        {
            var r = NativeLibraryResolver.Get(LibraryNames.LoptCpu);
            o.WriteLine(r.Found
                ? $"cpu library: unavailable: {r.LoadedFrom} ({e.Message.ReplaceLineEndings(" ")})"
                : $"cpu library: {NotFound(r, verbose)}");
        }
    }

    // Why this instruction set: forced by LOPT_CPU_ISA, or what CPUID reports.
    private static string InstructionSetReason()
    {
        var forced = Environment.GetEnvironmentVariable(CpuInstructionSets.Variable);
        if (!string.IsNullOrWhiteSpace(forced)) return $"{CpuInstructionSets.Variable}={forced.Trim()}";
        return CpuInstructionSets.MachineSupportsV3 ? "CPU has AVX2 and FMA" : "CPU lacks AVX2 or FMA";
    }

    private static void Devices(TextWriter o)
    {
        if (!NativeLibraryResolver.Get(LibraryNames.Cuda).Found)
        {
            o.WriteLine("devices: none (no CUDA driver)");
            return;
        }
        try
        {
            var devices = CudaDevice.All();
            o.WriteLine($"devices: {devices.Count}");
            foreach (var d in devices)
            {
                o.WriteLine($"  {d}");
                o.WriteLine($"    compute {d.ComputeMajor}.{d.ComputeMinor}, {d.MaxThreadsPerMultiprocessor} threads/SM, L2 {d.L2CacheBytes / 1024} KiB, " +
                            $"memory clock {d.MemoryClockKHz / 1000} MHz x {d.MemoryBusWidthBits} bit");
            }
        }
        catch (CudaException e)
        {
            o.WriteLine($"devices: none ({e.Message.ReplaceLineEndings(" ")})");
        }
    }

    private static void Guarded(TextWriter o, string label, string library, Func<string> probe)
    {
        if (!NativeLibraryResolver.Get(library).Found)
        {
            o.WriteLine($"{label}: unavailable (library {library} not found, see above)");
            return;
        }
        try
        {
            o.WriteLine($"{label}: {probe()}");
        }
        catch (CudaException e)
        {
            o.WriteLine($"{label}: unavailable ({e.Message.ReplaceLineEndings(" ")})");
        }
    }
}
