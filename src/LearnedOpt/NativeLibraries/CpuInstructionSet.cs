using System.Runtime.Intrinsics.X86;

namespace LearnedOpt.NativeLibraries;

/// <summary>The instruction sets the CPU library is built for; each is its own file from the same sources.</summary>
public enum CpuInstructionSet
{
    /// <summary>Baseline x86-64 (SSE2): liblopt_cpu.so, runs on any x86-64 CPU.</summary>
    Baseline,

    /// <summary>x86-64-v3 (AVX2 + FMA): liblopt_cpu_v3.so, twice the float lanes; the same bits as the baseline.</summary>
    V3,
}

/// <summary>
/// Which CPU library file to load: x86-64-v3 where CPUID reports AVX2 and FMA, the baseline
/// otherwise; the environment variable LOPT_CPU_ISA (baseline or v3) forces one.
/// </summary>
public static class CpuInstructionSets
{
    /// <summary>The environment variable that forces an instruction set.</summary>
    public const string Variable = "LOPT_CPU_ISA";

    /// <summary>True when this CPU runs the x86-64-v3 library (AVX2 and FMA, from CPUID).</summary>
    public static bool MachineSupportsV3 => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>The library file of <paramref name="isa"/>.</summary>
    public static string FileName(CpuInstructionSet isa) => isa == CpuInstructionSet.V3 ? "liblopt_cpu_v3.so" : "liblopt_cpu.so";

    /// <summary>The spelling of <paramref name="isa"/> in <see cref="Variable"/>.</summary>
    public static string Name(CpuInstructionSet isa) => isa == CpuInstructionSet.V3 ? "v3" : "baseline";

    /// <summary>
    /// The instruction set to load and whether <see cref="Variable"/> forced it. Throws an
    /// <see cref="ArgumentException"/> naming the variable for a value other than baseline or v3,
    /// and for v3 on a CPU without AVX2 and FMA (its code would stop on an illegal instruction).
    /// </summary>
    public static (CpuInstructionSet Isa, bool Forced) Choose(Func<string, string?> env, bool machineSupportsV3)
    {
        ArgumentNullException.ThrowIfNull(env);
        var value = env(Variable);
        if (string.IsNullOrWhiteSpace(value))
            return (machineSupportsV3 ? CpuInstructionSet.V3 : CpuInstructionSet.Baseline, false);
        switch (value.Trim().ToLowerInvariant())
        {
            case "baseline":
                return (CpuInstructionSet.Baseline, true);
            case "v3":
                if (!machineSupportsV3)
                    throw new ArgumentException($"{Variable}=v3 asks for the x86-64-v3 CPU library, but this CPU lacks AVX2 or FMA: unset it or use {Variable}=baseline.", Variable);
                return (CpuInstructionSet.V3, true);
            default:
                throw new ArgumentException($"{Variable}='{value}' is not an instruction set of the CPU library: use baseline or v3.", Variable);
        }
    }
}
