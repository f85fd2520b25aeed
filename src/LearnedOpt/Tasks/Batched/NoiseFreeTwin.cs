using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// The noise-free twin of a leaf task (same coefficients, data and minibatches, NoiseStd = 0), so a
/// batched leaf can be built for it and <see cref="BatchedNoise"/> adds the noise on top.
/// </summary>
internal static class NoiseFreeTwin
{
    /// <summary>The twin, the task itself when it has no noise, or null for a family without one.</summary>
    public static FlatTask? Of(FlatTask task) => task.NoiseStd == 0 ? task : task switch
    {
        QuadraticTask q => q.WithoutNoise(),
        NormTask m => m.WithoutNoise(),
        BowlTask b => new BowlTask(b.Kappa, b.Angle, 0, b.Name),
        TestFunctionTask t => new TestFunctionTask(t.Function, 0, t.Name),
        ClassifierTask c => new ClassifierTask(c.Name, c.Data, c.Widths.Skip(1).SkipLast(1).ToList(), c.BatchSize, 0),
        _ => null,
    };
}
