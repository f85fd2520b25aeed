using LearnedOpt.Backends;
using LearnedOpt.Cli.Commands;
using LearnedOpt.NativeLibraries;
using Resolution = LearnedOpt.NativeLibraries.NativeLibraryResolver.Resolution;
using Attempt = LearnedOpt.NativeLibraries.NativeLibraryResolver.Attempt;

namespace LearnedOpt.Tests.Cli;

[Collection(CliCollection.Name)]
[Trait("tier", "cpu")]
public class InfoCommandTests
{
    private static readonly Resolution Missing = new("cublas", 0, null,
    [
        new Attempt("/opt/a/libcublas.so.13", false, "no such file"),
        new Attempt("libcublas.so.13", false, "libcublas.so.13: cannot open shared object file: No such file or directory"),
        new Attempt("libcublas.so", false, "libcublas.so: cannot open shared object file: No such file or directory"),
    ]);

    [Fact]
    public void AMissingLibraryIsOneLineByDefault()
    {
        var line = InfoCommand.NotFound(Missing, verbose: false);
        Assert.Equal("not found (tried 3 places for libcublas.so.13, libcublas.so; lopt info --verbose lists them)", line);
    }

    [Fact]
    public void VerboseListsEveryAttemptAndItsErrorOnItsOwnLine()
    {
        var lines = InfoCommand.NotFound(Missing, verbose: true).Split(Environment.NewLine);
        Assert.Equal("not found; tried:", lines[0]);
        Assert.Equal(Missing.Attempts.Select(a => $"    {a.Candidate}: {a.Error}"), lines.Skip(1));
    }

    [Fact]
    public void InfoPrintsOneLinePerLibraryUnlessVerbose()
    {
        var (exit, output, err) = CliRunner.Run("info");
        Assert.True(exit is 0 or 1, err + output);
        var (vexit, verbose, verr) = CliRunner.Run("info", "--verbose");
        Assert.Equal(exit, vexit);
        foreach (var name in new[] { LibraryNames.Cuda, LibraryNames.Nvrtc, LibraryNames.Cublas })
        {
            var line = output.Split('\n').Single(l => l.StartsWith($"library {name}:", StringComparison.Ordinal));
            var r = NativeLibraryResolver.Get(name);
            if (r.Found) continue;
            Assert.True(line.Length < 200, line);
            Assert.Contains("--verbose", line);
            // Verbose: every attempt (not just the names) appears.
            foreach (var a in r.Attempts) Assert.Contains($"    {a.Candidate}: {a.Error}", verbose);
        }
        Assert.True(verbose.Length >= output.Length, verr);
    }

    [Fact]
    public void InfoSaysWhichCpuInstructionSetIsLoaded()
    {
        var (exit, output, err) = CliRunner.Run("info");
        Assert.True(exit is 0 or 1, err + output);
        var line = output.Split('\n').Single(l => l.StartsWith("cpu library:", StringComparison.Ordinal));
        using var cpu = new CpuBackend();
        Assert.Contains($"{cpu.LibraryFile}, {cpu.InstructionSet} (", line);
    }
}
