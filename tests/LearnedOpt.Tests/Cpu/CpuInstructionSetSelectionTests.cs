using LearnedOpt.Backends;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Tests.Cpu;

/// <summary>Which CPU library file is loaded: CPUID's choice, the LOPT_CPU_ISA override, and its errors.</summary>
[Trait("tier", "cpu")]
public class CpuInstructionSetSelectionTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] vars)
        => k => vars.FirstOrDefault(v => v.Key == k).Value;

    private static readonly string Native = Path.Combine("/app", "runtimes", "linux-x64", "native");

    [Fact]
    public void AvxMachineTriesTheV3LibraryFirstThenTheBaseline()
    {
        var list = LibraryCandidates.For(LibraryNames.LoptCpu, Env(), "/app", machineSupportsV3: true);
        Assert.Equal([Path.Combine(Native, "liblopt_cpu_v3.so"), "/app/liblopt_cpu_v3.so",
                      Path.Combine(Native, "liblopt_cpu.so"), "/app/liblopt_cpu.so"], list);
    }

    [Fact]
    public void MachineWithoutAvx2OrFmaOnlyTriesTheBaseline()
    {
        var list = LibraryCandidates.For(LibraryNames.LoptCpu, Env(), "/app", machineSupportsV3: false);
        Assert.Equal([Path.Combine(Native, "liblopt_cpu.so"), "/app/liblopt_cpu.so"], list);
    }

    [Theory]
    [InlineData("baseline", true, "liblopt_cpu.so")]
    [InlineData("BASELINE", false, "liblopt_cpu.so")]
    [InlineData(" v3 ", true, "liblopt_cpu_v3.so")]
    public void TheVariableForcesOneFileWithoutFallback(string value, bool machineSupportsV3, string file)
    {
        var list = LibraryCandidates.For(LibraryNames.LoptCpu, Env((CpuInstructionSets.Variable, value)), "/app", machineSupportsV3);
        Assert.Equal([Path.Combine(Native, file), Path.Combine("/app", file)], list);
    }

    [Fact]
    public void ThePathOverrideStillComesFirst()
    {
        var list = LibraryCandidates.For(LibraryNames.LoptCpu, Env(("LOPT_LOPT_CPU_PATH", "/opt/x/liblopt_cpu.so")), "/app", machineSupportsV3: true);
        Assert.Equal("/opt/x/liblopt_cpu.so", list[0]);
    }

    [Fact]
    public void AnUnknownValueIsAnErrorNamingTheVariableAndTheValue()
    {
        var e = Assert.Throws<ArgumentException>(() => CpuInstructionSets.Choose(Env((CpuInstructionSets.Variable, "avx512")), machineSupportsV3: true));
        Assert.Equal("LOPT_CPU_ISA", e.ParamName);
        Assert.Contains("'avx512'", e.Message);
        Assert.Contains("baseline or v3", e.Message);
    }

    [Fact]
    public void V3OnAMachineWithoutAvx2OrFmaIsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => CpuInstructionSets.Choose(Env((CpuInstructionSets.Variable, "v3")), machineSupportsV3: false));
        Assert.Equal("LOPT_CPU_ISA", e.ParamName);
        Assert.Contains("AVX2 or FMA", e.Message);
    }

    [Fact]
    public void TheLoadedLibraryIsTheOneCpuidChooses()
    {
        // The process's own choice (LOPT_CPU_ISA unset in the test environment, or set by the caller).
        var (isa, _) = CpuInstructionSets.Choose(Environment.GetEnvironmentVariable, CpuInstructionSets.MachineSupportsV3);
        using var cpu = new CpuBackend();
        Assert.Equal(CpuInstructionSets.FileName(isa), cpu.LibraryFile);
        Assert.Equal(isa == CpuInstructionSet.V3 ? "x86-64-v3" : "x86-64", cpu.InstructionSet);
        Assert.Contains(cpu.LibraryFile, cpu.Description);
    }
}
