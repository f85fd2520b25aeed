using LearnedOpt.Optimizers;

namespace LearnedOpt.Optim;

/// <summary>Validates hyperparameters so that an error names the argument as this API spells it (weightDecay, not weight-decay).</summary>
internal static class ApiArguments
{
    public static void Validate(HyperParameters hyperParameters, OptimizerKind kind, IReadOnlyDictionary<string, string>? rename)
    {
        try
        {
            hyperParameters.Validate(kind);
        }
        catch (ArgumentException e) when (e.ParamName != null)
        {
            var name = rename != null && rename.TryGetValue(e.ParamName, out var r) ? r : CamelCase(e.ParamName);
            var message = e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            if (message.StartsWith(e.ParamName, StringComparison.Ordinal)) message = name + message[e.ParamName.Length..];
            throw new ArgumentException(message, name, e);
        }
    }

    /// <summary>"weight-decay" → "weightDecay".</summary>
    public static string CamelCase(string kebab)
    {
        var parts = kebab.Split('-');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
    }
}
