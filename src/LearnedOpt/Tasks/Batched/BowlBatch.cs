using LearnedOpt.Cpu;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks.Batched;

/// <summary>Bowls with their own 2 × 2 matrices.</summary>
public sealed class BowlBatch : HostProblemBatch
{
    private readonly float[] _a;

    public BowlBatch(IReadOnlyList<BowlTask> tasks) : base(tasks.Count, 2) => _a = Pack(tasks.Select(t => t.A));

    /// <summary>The packed 2 × 2 matrices (Count × 4).</summary>
    internal float[] A => _a;

    protected override void Run(ReadOnlySpan<float> theta, Span<float> loss, Span<float> gradient, ReadOnlySpan<float> v, Span<float> hv)
        => CpuProblems.Bowl(Count, _a, theta, loss, gradient, v, hv);
}
