using LearnedOpt.Cpu;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks.Batched;

/// <summary>Norm problems of one size n and one exponent p, each with its own W and y.</summary>
public sealed class NormBatch : HostProblemBatch
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
    protected override void Run(ReadOnlySpan<float> theta, Span<float> loss, Span<float> gradient, ReadOnlySpan<float> v, Span<float> hv)
        => CpuProblems.Norm(Count, Dimension, (float)P, _w, _y, theta, loss, gradient, v, hv);
}
