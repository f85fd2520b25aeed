namespace LearnedOpt.NativeLibraries;

/// <summary>
/// Ordered candidate files for each logical library: an explicit environment override first, then
/// the files we ship, then the versioned sonames of each supported CUDA major version (newest
/// first), then toolkit folders (CUDA_PATH, /usr/local/cuda).
/// </summary>
public static class LibraryCandidates
{
    /// <summary>Environment variable that names an exact file for a library, e.g. LOPT_NVRTC_PATH.</summary>
    public static string OverrideVariable(string name) => $"LOPT_{name.ToUpperInvariant()}_PATH";

    public static IReadOnlyList<string> For(string name) => For(name, Environment.GetEnvironmentVariable, AppContext.BaseDirectory);

    /// <summary>Testable form: the environment and the application folder are inputs (the CPU's features are this machine's).</summary>
    public static IReadOnlyList<string> For(string name, Func<string, string?> env, string baseDirectory)
        => For(name, env, baseDirectory, CpuInstructionSets.MachineSupportsV3);

    /// <summary>
    /// Testable form with the CPU's features as an input too. For the CPU library, throws the
    /// <see cref="ArgumentException"/> of <see cref="CpuInstructionSets.Choose"/> for a bad LOPT_CPU_ISA.
    /// </summary>
    public static IReadOnlyList<string> For(string name, Func<string, string?> env, string baseDirectory, bool machineSupportsV3)
    {
        var list = new List<string>();
        var overridePath = env(OverrideVariable(name));
        if (!string.IsNullOrWhiteSpace(overridePath)) list.Add(overridePath);

        IEnumerable<string> sonames = name switch
        {
            LibraryNames.LoptCpu => ["liblopt_cpu.so"],
            LibraryNames.Cuda => ["libcuda.so.1", "libcuda.so"],
            LibraryNames.Nvrtc => ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"],
            LibraryNames.Cublas => ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"],
            _ => [$"lib{name}.so"],
        };

        if (name == LibraryNames.LoptCpu)
        {
            // Ours ships beside the assembly in the runtimes/<rid>/native layout, one file per
            // instruction set: the one CPUID allows first, then (unless LOPT_CPU_ISA forced it) the baseline.
            var (isa, forced) = CpuInstructionSets.Choose(env, machineSupportsV3);
            var files = new List<string> { CpuInstructionSets.FileName(isa) };
            if (!forced && isa != CpuInstructionSet.Baseline) files.Add(CpuInstructionSets.FileName(CpuInstructionSet.Baseline));
            foreach (var file in files)
            {
                list.Add(Path.Combine(baseDirectory, "runtimes", "linux-x64", "native", file));
                list.Add(Path.Combine(baseDirectory, file));
            }
            return list;
        }

        var toolkitDirs = new List<string>();
        var cudaPath = env("CUDA_PATH");
        if (!string.IsNullOrWhiteSpace(cudaPath))
        {
            toolkitDirs.Add(Path.Combine(cudaPath, "lib64"));
            toolkitDirs.Add(Path.Combine(cudaPath, "targets", "x86_64-linux", "lib"));
        }
        foreach (var soname in sonames)
        {
            list.Add(soname); // the loader's search: LD_LIBRARY_PATH, ld.so.cache
            foreach (var dir in toolkitDirs) list.Add(Path.Combine(dir, soname));
        }
        if (name != LibraryNames.Cuda)
            foreach (var soname in sonames)
            {
                list.Add(Path.Combine("/usr/local/cuda/lib64", soname));
                list.Add(Path.Combine("/usr/local/cuda/targets/x86_64-linux/lib", soname));
            }
        return list.Distinct().ToList();
    }
}
