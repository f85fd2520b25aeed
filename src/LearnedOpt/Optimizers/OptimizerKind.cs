namespace LearnedOpt.Optimizers;

/// <summary>The optimizers the engine provides, by their CLI names.</summary>
public enum OptimizerKind
{
    Sgd,
    Momentum,
    Nesterov,
    RmsProp,
    Adam,
    AdamW,
    PowerSign,
    AddSign,
    Hrnn,
    Adagrad,
    Adamax,
    NAdam,
    RAdam,
    Celo,
}

public static class OptimizerNames
{
    private static readonly Dictionary<string, OptimizerKind> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sgd"] = OptimizerKind.Sgd,
        ["momentum"] = OptimizerKind.Momentum,
        ["nesterov"] = OptimizerKind.Nesterov,
        ["rmsprop"] = OptimizerKind.RmsProp,
        ["adam"] = OptimizerKind.Adam,
        ["adamw"] = OptimizerKind.AdamW,
        ["powersign"] = OptimizerKind.PowerSign,
        ["addsign"] = OptimizerKind.AddSign,
        ["adagrad"] = OptimizerKind.Adagrad,
        ["adamax"] = OptimizerKind.Adamax,
        ["nadam"] = OptimizerKind.NAdam,
        ["radam"] = OptimizerKind.RAdam,
        ["hrnn"] = OptimizerKind.Hrnn,
        ["celo"] = OptimizerKind.Celo,
    };

    public static IEnumerable<string> All => ByName.Keys;

    public static string Name(OptimizerKind kind) => ByName.First(p => p.Value == kind).Key;

    public static OptimizerKind Parse(string name)
        => ByName.TryGetValue(name, out var k)
            ? k
            : throw new ArgumentException($"Unknown optimizer '{name}'; expected one of: {string.Join(", ", ByName.Keys)}.", nameof(name));
}
