using System.CommandLine;
using LearnedOpt.Optimizers;

namespace LearnedOpt.Cli;

/// <summary>
/// The hyperparameter flags, one spelling for every optimizer: --lr --beta1 --beta2 --eps
/// --weight-decay --momentum --nesterov --alpha --base --decay --total-steps --periods, and torch.optim's
/// per-optimizer flags --amsgrad --centered --dampening --lr-decay --initial-accumulator
/// --momentum-decay --decoupled-weight-decay. Unset flags keep the optimizer's defaults (torch.optim's
/// where torch has it).
/// </summary>
public sealed class HyperParameterOptions
{
    public Option<float?> Lr { get; } = new("--lr") { Description = "Learning rate" };
    public Option<float?> Beta1 { get; } = new("--beta1") { Description = "First-moment decay (Adam, AdamW, PowerSign, AddSign)" };
    public Option<float?> Beta2 { get; } = new("--beta2") { Description = "Second-moment decay (Adam, AdamW)" };
    public Option<float?> Eps { get; } = new("--eps") { Description = "Denominator epsilon (Adam, AdamW, RMSProp)" };
    public Option<float?> WeightDecay { get; } = new("--weight-decay") { Description = "Weight decay: coupled L2 except AdamW, and NAdam/RAdam with --decoupled-weight-decay" };
    public Option<float?> Momentum { get; } = new("--momentum") { Description = "Momentum (SGD, RMSProp)" };
    public Option<bool> Nesterov { get; } = new("--nesterov") { Description = "Nesterov momentum (SGD)" };
    public Option<float?> Alpha { get; } = new("--alpha") { Description = "RMSProp smoothing constant" };
    public Option<float?> Base { get; } = new("--base") { Description = "PowerSign base (default e) / AddSign alpha (default 1)" };
    public Option<string?> Decay { get; } = new("--decay") { Description = "Sign decay of PowerSign/AddSign: none|linear|cyclic|restart" };
    public Option<int?> TotalSteps { get; } = new("--total-steps") { Description = "Steps over which the sign decay runs" };
    public Option<float?> Periods { get; } = new("--periods") { Description = "Periods of the cyclic/restart sign decay (default 1)" };
    public Option<bool> Amsgrad { get; } = new("--amsgrad") { Description = "AMSGrad variant (Adam, AdamW)" };
    public Option<bool> Centered { get; } = new("--centered") { Description = "Centered RMSProp (normalise by the variance estimate)" };
    public Option<float?> Dampening { get; } = new("--dampening") { Description = "Momentum dampening (SGD)" };
    public Option<float?> LrDecay { get; } = new("--lr-decay") { Description = "Learning-rate decay (Adagrad)" };
    public Option<float?> InitialAccumulator { get; } = new("--initial-accumulator") { Description = "Initial sum of squared gradients (Adagrad)" };
    public Option<float?> MomentumDecay { get; } = new("--momentum-decay") { Description = "Momentum decay psi (NAdam, default 4e-3)" };
    public Option<bool> DecoupledWeightDecay { get; } = new("--decoupled-weight-decay") { Description = "AdamW-style weight decay (NAdam, RAdam)" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Lr, Beta1, Beta2, Eps, WeightDecay, Momentum, Nesterov, Alpha, Base, Decay, TotalSteps, Periods,
                     Amsgrad, Centered, Dampening, LrDecay, InitialAccumulator, MomentumDecay, DecoupledWeightDecay })
            command.Options.Add(o);
    }

    /// <summary>The optimizer's defaults with every given flag applied, validated.</summary>
    public HyperParameters Read(ParseResult parse, OptimizerKind kind)
    {
        var hp = HyperParameters.Defaults(kind);
        if (parse.GetValue(Lr) is { } lr) hp = hp with { Lr = lr };
        if (parse.GetValue(Beta1) is { } b1) hp = hp with { Beta1 = b1 };
        if (parse.GetValue(Beta2) is { } b2) hp = hp with { Beta2 = b2 };
        if (parse.GetValue(Eps) is { } eps) hp = hp with { Eps = eps };
        if (parse.GetValue(WeightDecay) is { } wd) hp = hp with { WeightDecay = wd };
        if (parse.GetValue(Momentum) is { } m) hp = hp with { Momentum = m };
        if (parse.GetValue(Nesterov)) hp = hp with { Nesterov = true };
        if (parse.GetValue(Alpha) is { } a) hp = hp with { Alpha = a };
        if (parse.GetValue(Base) is { } b) hp = hp with { Base = b };
        if (parse.GetValue(Decay) is { } d) hp = hp with { Decay = ParseDecay(d) };
        if (parse.GetValue(TotalSteps) is { } ts) hp = hp with { TotalSteps = ts };
        if (parse.GetValue(Periods) is { } p) hp = hp with { Periods = p };
        if (parse.GetValue(Amsgrad)) hp = hp with { Amsgrad = true };
        if (parse.GetValue(Centered)) hp = hp with { Centered = true };
        if (parse.GetValue(Dampening) is { } damp) hp = hp with { Dampening = damp };
        if (parse.GetValue(LrDecay) is { } lrd) hp = hp with { LrDecay = lrd };
        if (parse.GetValue(InitialAccumulator) is { } acc) hp = hp with { InitialAccumulator = acc };
        if (parse.GetValue(MomentumDecay) is { } md) hp = hp with { MomentumDecay = md };
        if (parse.GetValue(DecoupledWeightDecay)) hp = hp with { DecoupledWeightDecay = true };
        if (kind != OptimizerKind.Hrnn) hp.Validate(kind);
        return hp;
    }

    private static SignDecay ParseDecay(string text) => text.ToLowerInvariant() switch
    {
        "none" => SignDecay.None,
        "linear" => SignDecay.Linear,
        "cyclic" => SignDecay.Cyclic,
        "restart" => SignDecay.Restart,
        _ => throw new CliError($"--decay '{text}' is not one of: none, linear, cyclic, restart."),
    };
}
