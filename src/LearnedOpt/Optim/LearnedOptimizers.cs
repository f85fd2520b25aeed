using LearnedOpt.Backends;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Optim;

/// <summary>
/// Learned optimizers over the caller's parameter arrays: <c>LearnedOptimizers.Hrnn([w, b])</c>
/// runs the hierarchical RNN optimizer of Wichrowska et al. 2017 with the weights this package
/// ships; a weight file, a stream or loaded <see cref="HrnnWeights"/> override them.
/// </summary>
public static class LearnedOptimizers
{
    /// <summary>The HRNN optimizer; <paramref name="weights"/> null means the shipped weights (<see cref="ShippedHrnnWeights"/>).</summary>
    /// <param name="parameters">The parameter arrays, stepped in place.</param>
    /// <param name="weights">The learned optimizer's weights (default: the shipped ones).</param>
    public static ParameterOptimizer Hrnn(IReadOnlyList<float[]> parameters, HrnnWeights? weights = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return Create([new ParameterGroup(parameters)], weights ?? ShippedHrnnWeights.Load(), nameof(parameters));
    }

    /// <summary>The HRNN optimizer with the weights of a weight file (safetensors, e.g. from <c>lopt meta-train</c>).</summary>
    /// <param name="parameters">The parameter arrays, stepped in place.</param>
    /// <param name="weightsPath">The weight file.</param>
    public static ParameterOptimizer Hrnn(IReadOnlyList<float[]> parameters, string weightsPath)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return Create([new ParameterGroup(parameters)], LoadWeights(weightsPath), nameof(parameters));
    }

    /// <summary>The HRNN optimizer with the weights read from <paramref name="weights"/> (a weight file's bytes).</summary>
    /// <param name="parameters">The parameter arrays, stepped in place.</param>
    /// <param name="weights">A stream holding a weight file; read to its end, not closed.</param>
    public static ParameterOptimizer Hrnn(IReadOnlyList<float[]> parameters, Stream weights)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(weights);
        return Create([new ParameterGroup(parameters)], HrnnWeights.Load(weights, nameof(weights)), nameof(parameters));
    }

    /// <summary>
    /// The HRNN optimizer over parameter groups: it sees every array at once, and a group's
    /// <see cref="ParameterGroup.Lr"/> multiplies the step it takes on that group's arrays (default 1).
    /// </summary>
    /// <param name="groups">The parameter groups (only <see cref="ParameterGroup.Lr"/> applies to a learned optimizer).</param>
    /// <param name="weights">The learned optimizer's weights (default: the shipped ones).</param>
    public static ParameterOptimizer Hrnn(IReadOnlyList<ParameterGroup> groups, HrnnWeights? weights = null)
        => Create(groups, weights ?? ShippedHrnnWeights.Load(), nameof(groups));

    private static ParameterOptimizer Create(IReadOnlyList<ParameterGroup> groups, HrnnWeights weights, string argument)
    {
        ParameterOptimizer.CheckGroups(groups, argument);
        for (int g = 0; g < groups.Count; g++)
        {
            if (groups[g].OverridesHandDesigned)
                throw new ArgumentException($"{argument}[{g}]: the hrnn optimizer takes only Lr (a multiplier on its step), not WeightDecay, Momentum or Configure.", argument);
            if (groups[g].Lr is { } lr && (!double.IsFinite(lr) || lr < 0))
                throw new ArgumentException($"{argument}[{g}]: Lr = {lr} must be finite and >= 0.", argument);
        }
        var backend = BackendSelector.CreateCpu();
        try { return new LearnedParameterOptimizer(groups, weights, backend); }
        catch { backend.Dispose(); throw; }
    }

    private static HrnnWeights LoadWeights(string weightsPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(weightsPath);
        if (!File.Exists(weightsPath))
            throw new ArgumentException($"weightsPath '{weightsPath}' does not exist.", nameof(weightsPath));
        return HrnnWeights.Load(weightsPath);
    }
}
