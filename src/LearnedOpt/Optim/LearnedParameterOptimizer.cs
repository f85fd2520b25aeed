using LearnedOpt.Backends;
using LearnedOpt.Optimizers;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Optim;

/// <summary>
/// The HRNN learned optimizer over every parameter array at once (its tensor and global RNNs see
/// them all). A group's Lr times the schedule's factor m scales the step it proposes:
/// θ ← θ_old + m (θ_hrnn − θ_old); at m = 1 the HRNN's own result is kept bit for bit.
/// </summary>
internal sealed class LearnedParameterOptimizer : ParameterOptimizer
{
    private readonly HrnnOptimizer _hrnn;
    private readonly double[] _groupScale;
    private readonly float[][] _before;
    private readonly (string, Optimizer)[] _holders;

    public LearnedParameterOptimizer(IReadOnlyList<ParameterGroup> groups, HrnnWeights weights, IBackend backend)
        : base(OptimizerNames.Name(OptimizerKind.Hrnn), groups, backend)
    {
        _hrnn = new HrnnOptimizer(backend, Specs(Parameters, 0), weights);
        _groupScale = groups.Select(g => g.Lr ?? 1.0).ToArray();
        _before = Parameters.Select(p => new float[p.Length]).ToArray();
        _holders = [("hrnn/", _hrnn)];
    }

    private protected override IReadOnlyList<(string Prefix, Optimizer Optimizer)> StateHolders => _holders;

    private protected override void StepCore(IReadOnlyList<float[]> gradients, double factor)
    {
        var scale = _groupScale.Select(s => (float)(s * factor)).ToArray();
        ForEachScaled(scale, (p, before, _) => p.CopyTo(before, 0));
        _hrnn.Step(Parameters, gradients);
        ForEachScaled(scale, (p, before, m) =>
        {
            for (int j = 0; j < p.Length; j++) p[j] = before[j] + m * (p[j] - before[j]);
        });
    }

    // Calls action(parameter, its snapshot, its scale) for every array of a group whose scale is not exactly 1.
    private void ForEachScaled(float[] scale, Action<float[], float[], float> action)
    {
        int index = 0;
        for (int g = 0; g < Groups.Count; g++)
            foreach (var p in Groups[g].Parameters)
            {
                if (scale[g] != 1f) action(p, _before[index], scale[g]);
                index++;
            }
    }
}
