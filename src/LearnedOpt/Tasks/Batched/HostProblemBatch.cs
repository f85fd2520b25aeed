using LearnedOpt.Cpu;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// Many instances of one synthetic family evaluated in one native call (float32, OpenMP over
/// instances, the per-instance math of lopt_problems.h). Parameters are instance-major:
/// theta holds <see cref="Count"/> × <see cref="Dimension"/> floats.
/// </summary>
public abstract class HostProblemBatch
{
    protected HostProblemBatch(int count, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        CpuProblems.EnsureLoaded();
        Count = count;
        Dimension = dimension;
    }

    public int Count { get; }

    /// <summary>Parameters per instance.</summary>
    public int Dimension { get; }

    /// <summary>Loss (Count floats) and gradient (Count × Dimension); either may be empty to skip it.</summary>
    public void Evaluate(ReadOnlySpan<float> theta, Span<float> loss, Span<float> gradient)
    {
        Check(theta.Length, (long)Count * Dimension, nameof(theta), false);
        Check(loss.Length, Count, nameof(loss), true);
        Check(gradient.Length, (long)Count * Dimension, nameof(gradient), true);
        Run(theta, loss, gradient, default, default);
    }

    /// <summary>hv = ∇²f(theta)·v for every instance.</summary>
    public void HessianVectorProduct(ReadOnlySpan<float> theta, ReadOnlySpan<float> v, Span<float> hv)
    {
        long n = (long)Count * Dimension;
        Check(theta.Length, n, nameof(theta), false);
        Check(v.Length, n, nameof(v), false);
        Check(hv.Length, n, nameof(hv), false);
        Run(theta, default, default, v, hv);
    }

    /// <summary>The CPU library's launcher: loss and gradient (v, hv empty) or the HVP (loss, gradient empty).</summary>
    protected abstract void Run(ReadOnlySpan<float> theta, Span<float> loss, Span<float> gradient, ReadOnlySpan<float> v, Span<float> hv);

    private static void Check(int actual, long expected, string name, bool mayBeEmpty)
    {
        if (actual != expected && !(mayBeEmpty && actual == 0))
            throw new ArgumentException($"'{name}' has {actual} floats, the batch needs {expected}{(mayBeEmpty ? " (or 0 to skip it)" : "")}.", name);
    }

    /// <summary>The batch of a list of instances of one supported family (test function, bowl, quadratic, norm, classifier).</summary>
    public static HostProblemBatch Create(IReadOnlyList<FlatTask> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (tasks.Count == 0) throw new ArgumentException("A batch needs at least one task.", nameof(tasks));
        return tasks[0] switch
        {
            TestFunctionTask t when tasks.All(x => x is TestFunctionTask f && f.Function == t.Function) => new TestFunctionBatch(t.Function, tasks.Count),
            BowlTask when tasks.All(x => x is BowlTask) => new BowlBatch(tasks.Cast<BowlTask>().ToList()),
            QuadraticTask when tasks.All(x => x is QuadraticTask) => new QuadraticBatch(tasks.Cast<QuadraticTask>().ToList()),
            NormTask when tasks.All(x => x is NormTask) => new NormBatch(tasks.Cast<NormTask>().ToList()),
            ClassifierTask when tasks.All(x => x is ClassifierTask) => new ClassifierBatch(tasks.Cast<ClassifierTask>().ToList()),
            _ => throw new NotSupportedException($"No batched kernel for the task mix starting with '{tasks[0].Name}' (family {tasks[0].Family}); batches must hold one family: a single test function, bowls, quadratics, norms or classifiers of one architecture."),
        };
    }

    protected static float[] Pack(IEnumerable<double[]> parts) => parts.SelectMany(p => p).Select(v => (float)v).ToArray();
}
