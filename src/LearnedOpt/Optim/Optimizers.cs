using LearnedOpt.Backends;
using LearnedOpt.Optimizers;

namespace LearnedOpt.Optim;

/// <summary>
/// The hand-designed optimizers over the caller's parameter arrays, with torch.optim's defaults
/// and argument names: <c>Optimizers.Adam([w, b], lr: 1e-3)</c>. Each also takes parameter groups
/// with their own hyperparameters. The formulas are in docs/optimizers.md.
/// </summary>
public static class Optimizers
{
    /// <summary>SGD, with momentum and Nesterov momentum (torch.optim.SGD).</summary>
    /// <param name="parameters">The parameter arrays, stepped in place.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="momentum">Momentum factor (0: plain SGD).</param>
    /// <param name="nesterov">Nesterov momentum (needs momentum > 0).</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    public static ParameterOptimizer Sgd(IReadOnlyList<float[]> parameters, double lr = 1e-3, double momentum = 0, bool nesterov = false, double weightDecay = 0)
        => Create(OptimizerKind.Sgd, Single(parameters), SgdValues(lr, momentum, nesterov, weightDecay), null, nameof(parameters));

    /// <summary>SGD over parameter groups; a group's values override these.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="momentum">Momentum factor (0: plain SGD).</param>
    /// <param name="nesterov">Nesterov momentum (needs momentum > 0).</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    public static ParameterOptimizer Sgd(IReadOnlyList<ParameterGroup> groups, double lr = 1e-3, double momentum = 0, bool nesterov = false, double weightDecay = 0)
        => Create(OptimizerKind.Sgd, groups, SgdValues(lr, momentum, nesterov, weightDecay), null, nameof(groups));

    /// <summary>RMSProp (torch.optim.RMSprop).</summary>
    /// <param name="parameters">The parameter arrays, stepped in place.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="alpha">Smoothing constant of the squared-gradient average.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <param name="momentum">Momentum factor.</param>
    public static ParameterOptimizer RmsProp(IReadOnlyList<float[]> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0)
        => Create(OptimizerKind.RmsProp, Single(parameters), RmsPropValues(lr, alpha, eps, weightDecay, momentum), null, nameof(parameters));

    /// <summary>RMSProp over parameter groups; a group's values override these.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="alpha">Smoothing constant of the squared-gradient average.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <param name="momentum">Momentum factor.</param>
    public static ParameterOptimizer RmsProp(IReadOnlyList<ParameterGroup> groups, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0)
        => Create(OptimizerKind.RmsProp, groups, RmsPropValues(lr, alpha, eps, weightDecay, momentum), null, nameof(groups));

    /// <summary>Adam (Kingma and Ba 2015; torch.optim.Adam, weight decay coupled as L2).</summary>
    /// <param name="parameters">The parameter arrays, stepped in place.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">Decay of the first-moment average.</param>
    /// <param name="beta2">Decay of the second-moment average.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    public static ParameterOptimizer Adam(IReadOnlyList<float[]> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        => Create(OptimizerKind.Adam, Single(parameters), Moments(lr, beta1, beta2, eps, weightDecay), null, nameof(parameters));

    /// <summary>Adam over parameter groups; a group's values override these.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">Decay of the first-moment average.</param>
    /// <param name="beta2">Decay of the second-moment average.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    public static ParameterOptimizer Adam(IReadOnlyList<ParameterGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        => Create(OptimizerKind.Adam, groups, Moments(lr, beta1, beta2, eps, weightDecay), null, nameof(groups));

    /// <summary>AdamW (Loshchilov and Hutter 2019; torch.optim.AdamW, decoupled weight decay).</summary>
    /// <param name="parameters">The parameter arrays, stepped in place.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">Decay of the first-moment average.</param>
    /// <param name="beta2">Decay of the second-moment average.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="weightDecay">Decoupled weight decay (times lr).</param>
    public static ParameterOptimizer AdamW(IReadOnlyList<float[]> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2)
        => Create(OptimizerKind.AdamW, Single(parameters), Moments(lr, beta1, beta2, eps, weightDecay), null, nameof(parameters));

    /// <summary>AdamW over parameter groups; a group's values override these.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">Decay of the first-moment average.</param>
    /// <param name="beta2">Decay of the second-moment average.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="weightDecay">Decoupled weight decay (times lr).</param>
    public static ParameterOptimizer AdamW(IReadOnlyList<ParameterGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2)
        => Create(OptimizerKind.AdamW, groups, Moments(lr, beta1, beta2, eps, weightDecay), null, nameof(groups));

    /// <summary>PowerSign (Bello et al. 2017): the step lr · base^(sign(g) sign(m)) · g.</summary>
    /// <param name="parameters">The parameter arrays, stepped in place.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">Decay of the gradient average m.</param>
    /// <param name="base">The base of the sign agreement term (default e).</param>
    public static ParameterOptimizer PowerSign(IReadOnlyList<float[]> parameters, double lr = 1e-3, double beta1 = 0.9, double @base = Math.E)
        => Create(OptimizerKind.PowerSign, Single(parameters), new HyperParameters { Lr = (float)lr, Beta1 = (float)beta1, Base = (float)@base }, null, nameof(parameters));

    /// <summary>AddSign (Bello et al. 2017): the step lr · (alpha + sign(g) sign(m)) · g.</summary>
    /// <param name="parameters">The parameter arrays, stepped in place.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">Decay of the gradient average m.</param>
    /// <param name="alpha">The constant the sign agreement is added to (default 1).</param>
    public static ParameterOptimizer AddSign(IReadOnlyList<float[]> parameters, double lr = 1e-3, double beta1 = 0.9, double alpha = 1)
        => Create(OptimizerKind.AddSign, Single(parameters), new HyperParameters { Lr = (float)lr, Beta1 = (float)beta1, Base = (float)alpha },
                  new Dictionary<string, string> { ["base"] = nameof(alpha) }, nameof(parameters));

    /// <summary>
    /// Any hand-designed optimizer from its full hyperparameters (every setting, e.g. the sign
    /// decays of PowerSign and AddSign); a group's values override them.
    /// </summary>
    /// <param name="kind">The optimizer (not a learned one).</param>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="hyperParameters">The hyperparameters of every group without its own.</param>
    public static ParameterOptimizer Create(OptimizerKind kind, IReadOnlyList<ParameterGroup> groups, HyperParameters hyperParameters)
        => Create(kind, groups, hyperParameters, null, nameof(groups));

    // rename: API names where they differ from the camel-cased HyperParameters name; argument: what the caller passed the arrays as.
    private static ParameterOptimizer Create(OptimizerKind kind, IReadOnlyList<ParameterGroup> groups, HyperParameters hyperParameters,
                                             IReadOnlyDictionary<string, string>? rename, string argument)
    {
        if (kind == OptimizerKind.Hrnn)
            throw new ArgumentException("hrnn is a learned optimizer; use LearnedOptimizers.Hrnn.", nameof(kind));
        ArgumentNullException.ThrowIfNull(hyperParameters);
        ParameterOptimizer.CheckGroups(groups, argument);
        ApiArguments.Validate(hyperParameters, kind, rename);
        var perGroup = new HyperParameters[groups.Count];
        for (int g = 0; g < groups.Count; g++)
        {
            perGroup[g] = groups[g].Apply(hyperParameters);
            try { perGroup[g].Validate(kind); }
            catch (ArgumentException e) { throw new ArgumentException($"groups[{g}]: {e.Message}", nameof(groups), e); }
        }
        var backend = BackendSelector.CreateCpu();
        try { return new HandDesignedParameterOptimizer(kind, groups, perGroup, backend); }
        catch { backend.Dispose(); throw; }
    }

    private static HyperParameters SgdValues(double lr, double momentum, bool nesterov, double weightDecay) => new()
    {
        Lr = (float)lr, Momentum = (float)momentum, Nesterov = nesterov, WeightDecay = (float)weightDecay,
    };

    private static HyperParameters RmsPropValues(double lr, double alpha, double eps, double weightDecay, double momentum) => new()
    {
        Lr = (float)lr, Alpha = (float)alpha, Eps = (float)eps, WeightDecay = (float)weightDecay, Momentum = (float)momentum,
    };

    private static HyperParameters Moments(double lr, double beta1, double beta2, double eps, double weightDecay) => new()
    {
        Lr = (float)lr, Beta1 = (float)beta1, Beta2 = (float)beta2, Eps = (float)eps, WeightDecay = (float)weightDecay,
    };

    private static ParameterGroup[] Single(IReadOnlyList<float[]> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return [new ParameterGroup(parameters)];
    }
}
