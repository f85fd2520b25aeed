using LearnedOpt.Cpu;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks.Batched;

/// <summary>Quadratics of one size n, each with its own W and y.</summary>
public sealed class QuadraticBatch : HostProblemBatch
{
    private readonly float[] _w;
    private readonly float[] _y;

    public QuadraticBatch(IReadOnlyList<QuadraticTask> tasks) : base(tasks.Count, SameN(tasks.Select(t => t.N)))
    {
        _w = Pack(tasks.Select(t => t.W));
        _y = Pack(tasks.Select(t => t.Y));
    }

    internal static int SameN(IEnumerable<int> sizes)
    {
        var distinct = sizes.Distinct().ToList();
        return distinct.Count == 1 ? distinct[0] : throw new ArgumentException($"A batch needs one problem size, got {string.Join(", ", distinct)}.", "tasks");
    }

    /// <summary>The packed W (Count × n × n) and y (Count × n).</summary>
    internal float[] W => _w;
    internal float[] Y => _y;

    protected override void Run(ReadOnlySpan<float> theta, Span<float> loss, Span<float> gradient, ReadOnlySpan<float> v, Span<float> hv)
        => CpuProblems.Quadratic(Count, Dimension, _w, _y, theta, loss, gradient, v, hv);
}
