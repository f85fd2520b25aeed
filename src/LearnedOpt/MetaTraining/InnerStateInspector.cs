using LearnedOpt.Backends;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.MetaTraining;

/// <summary>
/// Reads an HRNN unroll's carried state ([θ | optimizer state in export order], see
/// <see cref="HrnnRollout"/>): θ and the per-coordinate log learning rate ℓ, in the task's flat order.
/// </summary>
public static class InnerStateInspector
{
    /// <summary>The stored ℓ is smoothed toward a value clamped to ±33 (hrnn.md); |ℓ| above this counts as at the clip.</summary>
    public const double ClipLevel = 32.5;

    public static ReadOnlySpan<float> Theta(FlatTask task, InnerState state) => state.Values.AsSpan(0, task.Size);

    /// <summary>ℓ of every coordinate (all zero-length if the state is fresh, i.e. no step has run).</summary>
    public static float[] LogLr(IBackend backend, FlatTask task, HrnnWeights weights, InnerState state)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(state);
        if (state.Fresh) return [];
        using var template = new HrnnOptimizer(backend, task.Parameters, weights);
        var result = new float[task.Size];
        int offset = task.Size, into = 0;
        foreach (var t in template.ExportState())
        {
            int n = (int)t.ElementCount;
            if (t.Name.EndsWith("/log_lr", StringComparison.Ordinal))
            {
                state.Values.AsSpan(offset, n).CopyTo(result.AsSpan(into, n));
                into += n;
            }
            offset += n;
        }
        if (offset != state.Values.Length) throw new InvalidDataException($"inner state of '{task.Name}' has {state.Values.Length} values, the layout {offset}.");
        return result;
    }
}
