using System.CommandLine;
using LearnedOpt.Optimizers;

namespace LearnedOpt.Cli;

/// <summary>
/// The hand-designed optimizers' hyperparameter flags, one spelling for every command that takes
/// them (train, replay, ...). A flag left out keeps the value of <see cref="HyperParameters.Defaults"/>.
/// </summary>
public sealed class HyperParameterOptions
{
    public Option<float?> Lr { get; } = new("--lr") { Description = "Learning rate (default per optimizer: 1e-3, rmsprop 1e-2)." };
    public Option<float?> Beta1 { get; } = new("--beta1") { Description = "First-moment decay (adam, adamw, powersign, addsign)." };
    public Option<float?> Beta2 { get; } = new("--beta2") { Description = "Second-moment decay (adam, adamw)." };
    public Option<float?> Eps { get; } = new("--eps") { Description = "Denominator epsilon (adam, adamw, rmsprop)." };
    public Option<float?> WeightDecay { get; } = new("--weight-decay") { Description = "Weight decay (L2 for sgd/adam/rmsprop, decoupled for adamw)." };
    public Option<float?> Momentum { get; } = new("--momentum") { Description = "Momentum (sgd, rmsprop)." };
    public Option<bool?> Nesterov { get; } = new("--nesterov") { Description = "Nesterov momentum (sgd family); '--nesterov' alone means true." };
    public Option<float?> Alpha { get; } = new("--alpha") { Description = "RMSProp smoothing constant." };
    public Option<float?> Base { get; } = new("--base") { Description = "PowerSign's base (default e) or AddSign's alpha (default 1)." };
    public Option<string?> Decay { get; } = new("--decay") { Description = "Sign decay of powersign/addsign: none|linear|cyclic|restart." };
    public Option<int?> TotalSteps { get; } = new("--total-steps") { Description = "Steps over which the sign decay runs (needed by --decay other than none)." };
    public Option<float?> Periods { get; } = new("--periods") { Description = "Periods of the cyclic/restart sign decay (default 1)." };

    public HyperParameterOptions()
    {
        Nesterov.Arity = ArgumentArity.ZeroOrOne;
        Decay.AcceptOnlyFromAmong("none", "linear", "cyclic", "restart");
    }

    public IEnumerable<Option> All => [Lr, Beta1, Beta2, Eps, WeightDecay, Momentum, Nesterov, Alpha, Base, Decay, TotalSteps, Periods];

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var o in All) command.Options.Add(o);
    }

    /// <summary>True when any hyperparameter flag was given (learned optimizers take none).</summary>
    public bool AnyGiven(ParseResult parse) => All.Any(o => parse.GetResult(o) is { Implicit: false });

    /// <summary>The defaults of <paramref name="kind"/> overridden by the given flags, validated.</summary>
    public HyperParameters Resolve(ParseResult parse, OptimizerKind kind)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var hp = HyperParameters.Defaults(kind);
        if (parse.GetValue(Lr) is { } lr) hp = hp with { Lr = lr };
        if (parse.GetValue(Beta1) is { } b1) hp = hp with { Beta1 = b1 };
        if (parse.GetValue(Beta2) is { } b2) hp = hp with { Beta2 = b2 };
        if (parse.GetValue(Eps) is { } eps) hp = hp with { Eps = eps };
        if (parse.GetValue(WeightDecay) is { } wd) hp = hp with { WeightDecay = wd };
        if (parse.GetValue(Momentum) is { } m) hp = hp with { Momentum = m };
        if (parse.GetResult(Nesterov) is { Implicit: false }) hp = hp with { Nesterov = parse.GetValue(Nesterov) ?? true };
        if (parse.GetValue(Alpha) is { } a) hp = hp with { Alpha = a };
        if (parse.GetValue(Base) is { } b) hp = hp with { Base = b };
        if (parse.GetValue(Decay) is { } d) hp = hp with { Decay = ParseDecay(d) };
        if (parse.GetValue(TotalSteps) is { } t) hp = hp with { TotalSteps = t };
        if (parse.GetValue(Periods) is { } p) hp = hp with { Periods = p };
        if (kind != OptimizerKind.Hrnn) hp.Validate(kind);
        return hp;
    }

    public static SignDecay ParseDecay(string text) => text.ToLowerInvariant() switch
    {
        "none" => SignDecay.None,
        "linear" => SignDecay.Linear,
        "cyclic" => SignDecay.Cyclic,
        "restart" => SignDecay.Restart,
        _ => throw new ArgumentException($"--decay '{text}' is not one of: none, linear, cyclic, restart.", "decay"),
    };
}
