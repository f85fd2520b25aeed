using LearnedOpt.Interop;

namespace LearnedOpt.Optimizers;

/// <summary>
/// Hyperparameters of the hand-designed optimizers, one spelling for all. <see cref="Defaults"/>
/// gives torch.optim's defaults where torch has the optimizer, Bello et al.'s otherwise.
/// </summary>
public sealed record HyperParameters
{
    public float Lr { get; init; } = 1e-3f;
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.999f;
    public float Eps { get; init; } = 1e-8f;
    public float WeightDecay { get; init; }
    public float Momentum { get; init; }
    public bool Nesterov { get; init; }
    /// <summary>RMSProp smoothing constant.</summary>
    public float Alpha { get; init; } = 0.99f;
    /// <summary>PowerSign's base (e) or AddSign's alpha (1).</summary>
    public float Base { get; init; } = MathF.E;
    public SignDecay Decay { get; init; } = SignDecay.None;
    public int TotalSteps { get; init; }
    /// <summary>Periods of the cyclic and restart sign decays over <see cref="TotalSteps"/>.</summary>
    public float Periods { get; init; } = 1f;
    /// <summary>Adam, AdamW: divide by the running maximum of the second moment (Reddi et al. 2018).</summary>
    public bool Amsgrad { get; init; }
    /// <summary>RMSProp: normalise by the variance estimate (second moment minus squared mean) instead of the second moment.</summary>
    public bool Centered { get; init; }
    /// <summary>SGD with momentum: the momentum buffer takes (1 - dampening) of each new gradient after the first step.</summary>
    public float Dampening { get; init; }
    /// <summary>Adagrad: the learning rate of step t is lr / (1 + (t - 1) lr_decay).</summary>
    public float LrDecay { get; init; }
    /// <summary>Adagrad: the starting value of the sum of squared gradients.</summary>
    public float InitialAccumulator { get; init; }
    /// <summary>NAdam: psi of the momentum schedule mu_t = beta1 (1 - 0.5 * 0.96^(t psi)).</summary>
    public float MomentumDecay { get; init; } = 4e-3f;
    /// <summary>NAdam, RAdam: decay the parameters by (1 - lr wd) as AdamW does, instead of adding wd p to the gradient.</summary>
    public bool DecoupledWeightDecay { get; init; }

    public static HyperParameters Defaults(OptimizerKind kind) => kind switch
    {
        OptimizerKind.Sgd => new() { Lr = 1e-3f },
        OptimizerKind.Momentum => new() { Lr = 1e-3f, Momentum = 0.9f },
        OptimizerKind.Nesterov => new() { Lr = 1e-3f, Momentum = 0.9f, Nesterov = true },
        OptimizerKind.RmsProp => new() { Lr = 1e-2f, Alpha = 0.99f, Eps = 1e-8f },
        OptimizerKind.Adam => new() { Lr = 1e-3f },
        OptimizerKind.AdamW => new() { Lr = 1e-3f, WeightDecay = 1e-2f },
        OptimizerKind.PowerSign => new() { Lr = 1e-3f, Beta1 = 0.9f, Base = MathF.E },
        OptimizerKind.AddSign => new() { Lr = 1e-3f, Beta1 = 0.9f, Base = 1f },
        OptimizerKind.Adagrad => new() { Lr = 1e-2f, Eps = 1e-10f },
        OptimizerKind.Adamax => new() { Lr = 2e-3f },
        OptimizerKind.NAdam => new() { Lr = 2e-3f, MomentumDecay = 4e-3f },
        OptimizerKind.RAdam => new() { Lr = 1e-3f },
        _ => new(),
    };

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid value.</summary>
    public void Validate(OptimizerKind kind)
    {
        Finite(Lr, "lr"); Finite(Beta1, "beta1"); Finite(Beta2, "beta2"); Finite(Eps, "eps");
        Finite(WeightDecay, "weight-decay"); Finite(Momentum, "momentum"); Finite(Alpha, "alpha");
        Finite(Base, "base"); Finite(Periods, "periods");
        if (Lr < 0) throw Bad("lr", Lr, "must be >= 0");
        if (Eps < 0) throw Bad("eps", Eps, "must be >= 0");
        if (WeightDecay < 0) throw Bad("weight-decay", WeightDecay, "must be >= 0");
        if (Beta1 is < 0 or >= 1) throw Bad("beta1", Beta1, "must be in [0, 1)");
        if (Beta2 is < 0 or >= 1) throw Bad("beta2", Beta2, "must be in [0, 1)");
        if (Momentum < 0) throw Bad("momentum", Momentum, "must be >= 0");
        if (Alpha is < 0 or > 1) throw Bad("alpha", Alpha, "must be in [0, 1]");
        if (Nesterov && Momentum <= 0 && kind is OptimizerKind.Sgd or OptimizerKind.Momentum or OptimizerKind.Nesterov)
            throw new ArgumentException("nesterov requires momentum > 0 (as torch.optim.SGD).", "nesterov");
        if (kind == OptimizerKind.PowerSign && Base <= 0) throw Bad("base", Base, "must be > 0 for PowerSign");
        if (TotalSteps < 0) throw Bad("total-steps", TotalSteps, "must be >= 0");
        if (Decay != SignDecay.None && TotalSteps == 0 && kind is OptimizerKind.PowerSign or OptimizerKind.AddSign)
            throw new ArgumentException($"decay '{Decay.ToString().ToLowerInvariant()}' needs total-steps > 0.", "total-steps");
        if (Periods <= 0) throw Bad("periods", Periods, "must be > 0");
        ValidateTorchFlags(kind);
    }

    /// <summary>The flags that only some torch.optim optimizers have: in range, and set only where they apply.</summary>
    private void ValidateTorchFlags(OptimizerKind kind)
    {
        Finite(Dampening, "dampening"); Finite(LrDecay, "lr-decay"); Finite(InitialAccumulator, "initial-accumulator");
        Finite(MomentumDecay, "momentum-decay");
        bool sgd = kind is OptimizerKind.Sgd or OptimizerKind.Momentum or OptimizerKind.Nesterov;
        if (Amsgrad && kind is not (OptimizerKind.Adam or OptimizerKind.AdamW))
            throw NotFor("amsgrad", kind, "adam and adamw");
        if (Centered && kind != OptimizerKind.RmsProp) throw NotFor("centered", kind, "rmsprop");
        if (Dampening != 0 && !sgd) throw NotFor("dampening", kind, "sgd, momentum and nesterov");
        if (LrDecay != 0 && kind != OptimizerKind.Adagrad) throw NotFor("lr-decay", kind, "adagrad");
        if (InitialAccumulator != 0 && kind != OptimizerKind.Adagrad) throw NotFor("initial-accumulator", kind, "adagrad");
        if (DecoupledWeightDecay && kind is not (OptimizerKind.NAdam or OptimizerKind.RAdam))
            throw NotFor("decoupled-weight-decay", kind, "nadam and radam (adamw is adam with it)");
        if (Dampening is < 0 or > 1) throw Bad("dampening", Dampening, "must be in [0, 1]");
        if (sgd && Nesterov && Dampening != 0)
            throw new ArgumentException($"nesterov requires dampening = 0 (as torch.optim.SGD), got dampening = {Dampening}.", "dampening");
        if (LrDecay < 0) throw Bad("lr-decay", LrDecay, "must be >= 0");
        if (InitialAccumulator < 0) throw Bad("initial-accumulator", InitialAccumulator, "must be >= 0");
        if (MomentumDecay < 0) throw Bad("momentum-decay", MomentumDecay, "must be >= 0");
    }

    private static ArgumentException NotFor(string name, OptimizerKind kind, string where)
        => new($"{name} is not an option of {OptimizerNames.Name(kind)}; it applies to {where} only.", name);

    internal LoptHParams ToNative() => new()
    {
        Lr = Lr, Beta1 = Beta1, Beta2 = Beta2, Eps = Eps, WeightDecay = WeightDecay, Momentum = Momentum,
        Alpha = Alpha, Base = Base, Periods = Periods, Nesterov = Nesterov ? 1 : 0, Decay = (int)Decay, TotalSteps = TotalSteps,
        Dampening = Dampening, LrDecay = LrDecay, MomentumDecay = MomentumDecay, Decoupled = DecoupledWeightDecay ? 1 : 0,
    };

    private static void Finite(float v, string name)
    {
        if (!float.IsFinite(v)) throw Bad(name, v, "must be finite");
    }

    private static ArgumentException Bad(string name, object value, string why) => new($"{name} = {value} {why}.", name);
}
