using LearnedOpt.Optimizers;

namespace LearnedOpt.Optim;

/// <summary>
/// Parameter arrays that share hyperparameters (torch.optim's parameter groups). Each value left
/// null takes the optimizer's own; <see cref="Lr"/> of a learned optimizer multiplies its step.
/// </summary>
/// <param name="parameters">The parameter arrays, stepped in place.</param>
public sealed class ParameterGroup(IReadOnlyList<float[]> parameters)
{
    /// <summary>The parameter arrays, stepped in place.</summary>
    public IReadOnlyList<float[]> Parameters { get; } = parameters ?? throw new ArgumentNullException(nameof(parameters));

    /// <summary>This group's learning rate; for a learned optimizer, a multiplier on its step (default 1).</summary>
    public double? Lr { get; init; }

    /// <summary>This group's weight decay (hand-designed optimizers).</summary>
    public double? WeightDecay { get; init; }

    /// <summary>This group's momentum (SGD, RMSProp).</summary>
    public double? Momentum { get; init; }

    /// <summary>Any other hyperparameter of this group, applied last (hand-designed optimizers), e.g. <c>hp =&gt; hp with { Beta2 = 0.99f }</c>.</summary>
    public Func<HyperParameters, HyperParameters>? Configure { get; init; }

    /// <summary>Whether any hand-designed hyperparameter is overridden (a learned optimizer accepts only <see cref="Lr"/>).</summary>
    internal bool OverridesHandDesigned => WeightDecay != null || Momentum != null || Configure != null;

    /// <summary><paramref name="defaults"/> with this group's overrides.</summary>
    internal HyperParameters Apply(HyperParameters defaults)
    {
        var hp = defaults;
        if (Lr is { } lr) hp = hp with { Lr = (float)lr };
        if (WeightDecay is { } wd) hp = hp with { WeightDecay = (float)wd };
        if (Momentum is { } m) hp = hp with { Momentum = (float)m };
        return Configure?.Invoke(hp) ?? hp;
    }
}
