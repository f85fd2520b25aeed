using LearnedOpt.MetaTraining;

namespace LearnedOpt.Tests.MetaTraining;

/// <summary>
/// A small unroll environment for estimator tests: every slot runs the same deterministic dynamics
/// s ← step(s, φ) with a per-step loss, episodes of a fixed length cut into truncations of a fixed
/// length (or never ending), and no randomness of its own, so the exact objective is computable.
/// </summary>
public sealed class ToyEnvironment(int slots, int parameters, Func<float[]> initial, Action<float[], float[]> step,
                                   Func<float[], float[], double> loss, int truncation, int? episode) : IUnrollEnvironment
{
    private long _step;

    public int Slots => slots;
    public int MetaParameterCount => parameters;

    public Truncation[] NextTruncations()
    {
        bool starts = _step == 0 || (episode is { } e && _step >= e);
        if (starts) _step = 0;
        var t = new Truncation(truncation, _step, starts, episode is { } len && _step + truncation >= len);
        _step += truncation;
        return Enumerable.Repeat(t, slots).ToArray();
    }

    public InnerState InitialState(int slot) => new(initial(), fresh: true);

    public double[] Unroll(int slot, InnerState state, float[] phi, Truncation t)
    {
        var s = state.Values;
        var points = new double[t.Steps + 1];
        points[0] = loss(s, phi);
        for (int k = 0; k < t.Steps; k++)
        {
            step(s, phi);
            points[k + 1] = loss(s, phi);
        }
        state.Fresh = false;
        return points;
    }

    public void Save(StateBag bag, string prefix) => bag.SetLongs($"{prefix}step", [_step]);

    public void Load(StateBag bag, string prefix) => _step = bag.GetLongs($"{prefix}step", 1)[0];

    /// <summary>
    /// The episode objective the estimators target, Σ over truncations of the mean post-update loss,
    /// run without perturbation (for the exact gradient by central differences).
    /// </summary>
    public double EpisodeObjective(float[] phi)
    {
        int len = episode ?? throw new InvalidOperationException("Never-ending toy has no episode objective.");
        var s = initial();
        double total = 0;
        for (int start = 0; start < len; start += truncation)
        {
            double sum = 0;
            for (int k = 0; k < truncation; k++)
            {
                step(s, phi);
                sum += loss(s, phi);
            }
            total += sum / truncation;
        }
        return total;
    }
}
