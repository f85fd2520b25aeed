using System.CommandLine;
using LearnedOpt.Backends;

namespace LearnedOpt.Cli;

/// <summary>The --backend flag shared by every command that runs kernels; prints the choice to stderr.</summary>
public static class BackendOption
{
    public static Option<string> Create(string defaultValue = "auto") => new("--backend")
    {
        Description = "auto (CUDA when a usable device is present, else CPU), cpu or cuda",
        DefaultValueFactory = _ => defaultValue,
    };

    public static IBackend Open(ParseResult parse, Option<string> option, bool quiet = false)
    {
        var backend = BackendSelector.Create(BackendSelector.Parse(parse.GetValue(option)), out var reason);
        if (!quiet) Console.Error.WriteLine($"backend: {reason}; {backend.Description}");
        return backend;
    }
}
