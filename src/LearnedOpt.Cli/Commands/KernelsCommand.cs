using System.CommandLine;
using System.Text;
using System.Text.RegularExpressions;
using LearnedOpt.Backends;
using LearnedOpt.Cuda;
using LearnedOpt.Interop;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Cli.Commands;

/// <summary>
/// `lopt kernels`: compiles every embedded kernel file with NVRTC (through the kernel cache) and
/// lists each kernel with its code size: a quick check that the kernels build for a target.
/// </summary>
public sealed partial class KernelsCommand : ICommandFactory
{
    public Command Create()
    {
        var arch = new Option<string[]>("--arch")
        {
            Description = "Targets, e.g. sm_80 sm_90 (compute_90 for PTX). Default: the GPU's, else sm_80 and sm_90.",
            AllowMultipleArgumentsPerToken = true,
        };
        var cmd = new Command("kernels", "Compile every embedded CUDA kernel with NVRTC and list the kernels with their code sizes.");
        cmd.Options.Add(arch);
        cmd.SetAction(parse => Run(parse.GetValue(arch) ?? [], Console.Out));
        return cmd;
    }

    public static int Run(string[] archs, TextWriter o)
    {
        NativeLibraryResolver.Install();
        var nvrtc = NativeLibraryResolver.Get(LibraryNames.Nvrtc);
        if (!nvrtc.Found)
            throw new CliError($"libnvrtc could not be loaded, so kernels cannot be compiled (install the CUDA NVRTC runtime or set {LibraryCandidates.OverrideVariable(LibraryNames.Nvrtc)}); tried: {nvrtc.Trace}");

        var targets = archs.Length > 0 ? archs.Select(a => CompileTarget.Parse(a)).Distinct().ToList() : DefaultTargets(o);
        var compiler = new KernelCompiler();
        var (major, minor) = compiler.NvrtcVersion;
        o.WriteLine($"nvrtc {major}.{minor}, cache {compiler.Cache?.Directory}");
        o.WriteLine($"{"file",-16} {"kernel",-28} {"arch",-12} {"code bytes",10}");
        foreach (var target in targets)
            foreach (var file in KernelSources.KernelFiles)
            {
                var compiled = compiler.Compile(file, target);
                if (compiled.Log.Length > 0) o.WriteLine($"{file} ({target}): {compiled.Log.ReplaceLineEndings(" | ")}");
                var kernels = target.Ptx
                    ? PtxEntries(compiled.Image).Select(n => (n, "PTX"))
                    : CubinInfo.Kernels(compiled.Image).Select(k => (k.Name, k.CodeBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                foreach (var (name, size) in kernels)
                    o.WriteLine($"{file,-16} {name,-28} {target.Name,-12} {size,10}");
            }
        return 0;
    }

    /// <summary>The usable GPU's target, or sm_80 and sm_90 (A100, H100) when there is none.</summary>
    private static List<CompileTarget> DefaultTargets(TextWriter o)
    {
        if (CudaProbe.IsUsable(out var why))
        {
            var device = CudaDevice.Get(0);
            o.WriteLine($"device: {device}");
            return [KernelCompiler.TargetFor(device.Arch)];
        }
        o.WriteLine($"no usable GPU ({why.Split(';')[0]}): compiling for sm_80 and sm_90");
        return [CompileTarget.Cubin(80), CompileTarget.Cubin(90)];
    }

    private static IEnumerable<string> PtxEntries(byte[] ptx)
        => EntryRegex().Matches(Encoding.ASCII.GetString(ptx)).Select(m => m.Groups[1].Value);

    [GeneratedRegex(@"\.entry\s+(\w+)")]
    private static partial Regex EntryRegex();
}
