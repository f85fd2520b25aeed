using LearnedOpt.Backends;
using LearnedOpt.Optimizers;

namespace LearnedOpt.Optim;

/// <summary>
/// A hand-designed optimizer per parameter group (each with its own hyperparameters, all on one
/// CPU backend); the schedule sets each group's learning rate to its base value times the factor.
/// </summary>
internal sealed class HandDesignedParameterOptimizer : ParameterOptimizer
{
    private readonly HandDesignedOptimizer[] _groups;
    private readonly float[] _baseLr;
    private readonly (string, Optimizer)[] _holders;

    public HandDesignedParameterOptimizer(OptimizerKind kind, IReadOnlyList<ParameterGroup> groups, IReadOnlyList<HyperParameters> hyperParameters, IBackend backend)
        : base(OptimizerNames.Name(kind), groups, backend)
    {
        _groups = new HandDesignedOptimizer[groups.Count];
        int first = 0;
        for (int g = 0; g < groups.Count; g++)
        {
            _groups[g] = new HandDesignedOptimizer(kind, backend, Specs(groups[g].Parameters, first), hyperParameters[g]);
            first += groups[g].Parameters.Count;
        }
        _baseLr = hyperParameters.Select(h => h.Lr).ToArray();
        _holders = _groups.Select((o, g) => ($"group{g}/", (Optimizer)o)).ToArray();
    }

    private protected override IReadOnlyList<(string Prefix, Optimizer Optimizer)> StateHolders => _holders;

    private protected override void StepCore(IReadOnlyList<float[]> gradients, double factor)
    {
        int first = 0;
        for (int g = 0; g < _groups.Length; g++)
        {
            int count = Groups[g].Parameters.Count;
            if (count > 0)
            {
                _groups[g].LearningRate = (float)(_baseLr[g] * factor);
                var grads = new float[count][];
                for (int i = 0; i < count; i++) grads[i] = gradients[first + i];
                _groups[g].Step(Groups[g].Parameters, grads);
            }
            first += count;
        }
    }
}
