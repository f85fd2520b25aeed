using LearnedOpt.Interop;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks.Batched;

/// <summary>Bowls with their own 2 × 2 matrices.</summary>
public sealed unsafe class BowlBatch : ProblemBatch
{
    private readonly float[] _a;

    public BowlBatch(IReadOnlyList<BowlTask> tasks) : base(tasks.Count, 2) => _a = Pack(tasks.Select(t => t.A));

    /// <summary>The packed 2 × 2 matrices (Count × 4).</summary>
    internal float[] A => _a;

    protected override string Call => "lopt_problems_bowl";

    protected override int Run(float* theta, float* loss, float* gradient, float* v, float* hv)
    {
        fixed (float* a = _a) return LoptProblemsNative.lopt_problems_bowl(Count, a, theta, loss, gradient, v, hv);
    }
}
