using System.Text.RegularExpressions;

namespace LearnedOpt.Cli;

/// <summary>
/// Says a library error in the CLI's words: the library names its API arguments (weightsPath,
/// BackendChoice.Cuda), the user typed flags (--weights, --backend cuda).
/// </summary>
public static class CliFlags
{
    private static readonly IReadOnlyDictionary<string, string> FlagOfArgument = new Dictionary<string, string>
    {
        ["weightsPath"] = "--weights",
        ["weights"] = "--weights",
        ["backend"] = "--backend",
        ["lr"] = "--lr", ["beta1"] = "--beta1", ["beta2"] = "--beta2", ["eps"] = "--eps", ["weight-decay"] = "--weight-decay",
        ["momentum"] = "--momentum", ["nesterov"] = "--nesterov", ["alpha"] = "--alpha", ["base"] = "--base",
        ["total-steps"] = "--total-steps", ["periods"] = "--periods",
    };

    private static readonly (string Api, string Flag)[] Phrases =
    [
        ("BackendChoice.Cuda", "--backend cuda"),
        ("BackendChoice.Cpu", "--backend cpu"),
    ];

    /// <summary>The message of <paramref name="e"/> with API names replaced by the flags that set them.</summary>
    public static string Message(Exception e)
    {
        var message = e.Message;
        if (e is ArgumentException { ParamName: { } name } && FlagOfArgument.TryGetValue(name, out var flag))
        {
            message = message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal);
            // Whole words only: "lr" must not change "learned".
            message = Regex.Replace(message, $@"(?<![\w-]){Regex.Escape(name)}(?![\w-])", flag);
        }
        foreach (var (api, text) in Phrases) message = message.Replace(api, text, StringComparison.Ordinal);
        return message;
    }
}
