using LearnedOpt.Interop;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks.Batched;

/// <summary>Norm problems of one size n and one exponent p, each with its own W and y.</summary>
public sealed unsafe class NormBatch : ProblemBatch
{
    private readonly float[] _w;
    private readonly float[] _y;

    public NormBatch(IReadOnlyList<NormTask> tasks) : base(tasks.Count, QuadraticBatch.SameN(tasks.Select(t => t.N)))
    {
        var ps = tasks.Select(t => t.P).Distinct().ToList();
        if (ps.Count != 1) throw new ArgumentException($"A batch needs one exponent p, got {string.Join(", ", ps)}.", nameof(tasks));
        P = ps[0];
        _w = Pack(tasks.Select(t => t.W));
        _y = Pack(tasks.Select(t => t.Y));
    }

    public double P { get; }
    internal float[] W => _w;
    internal float[] Y => _y;
    protected override string Call => "lopt_problems_norm";

    protected override int Run(float* theta, float* loss, float* gradient, float* v, float* hv)
    {
        fixed (float* w = _w)
        fixed (float* y = _y)
            return LoptProblemsNative.lopt_problems_norm(Count, Dimension, (float)P, w, y, theta, loss, gradient, v, hv);
    }
}
