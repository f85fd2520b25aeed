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
    }

    internal LoptHParams ToNative() => new()
    {
        Lr = Lr, Beta1 = Beta1, Beta2 = Beta2, Eps = Eps, WeightDecay = WeightDecay, Momentum = Momentum,
        Alpha = Alpha, Base = Base, Periods = Periods, Nesterov = Nesterov ? 1 : 0, Decay = (int)Decay, TotalSteps = TotalSteps,
    };

    private static void Finite(float v, string name)
    {
        if (!float.IsFinite(v)) throw Bad(name, v, "must be finite");
    }

    private static ArgumentException Bad(string name, object value, string why) => new($"{name} = {value} {why}.", name);
}
