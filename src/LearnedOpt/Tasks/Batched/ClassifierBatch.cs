using LearnedOpt.Cpu;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// Logistic-regression or sigmoid-MLP instances of one architecture, each with its own dataset,
/// evaluated in one native call: loss and gradient (lopt_problems_classifier) and the exact
/// Hessian-vector product (lopt_classifier_hvp, forward-over-reverse). <see cref="HostProblemBatch.Evaluate"/>
/// and <see cref="HostProblemBatch.HessianVectorProduct"/> use all rows; <see cref="EvaluateRows"/> and
/// <see cref="HessianVectorProductRows"/> a minibatch per instance.
/// </summary>
public sealed class ClassifierBatch : HostProblemBatch
{
    private readonly int[] _widths;
    private readonly float[] _x;
    private readonly float[] _labels;
    private readonly int _rows;

    public ClassifierBatch(IReadOnlyList<ClassifierTask> tasks) : base(tasks.Count, tasks.Count > 0 ? tasks[0].Size : 0)
    {
        _widths = [.. tasks[0].Widths];
        _rows = tasks[0].Data.Rows;
        foreach (var t in tasks)
            if (!t.Widths.SequenceEqual(_widths) || t.Data.Rows != _rows)
                throw new ArgumentException($"A batch needs one architecture and dataset size; '{t.Name}' has widths [{string.Join(", ", t.Widths)}] and {t.Data.Rows} rows, the first task [{string.Join(", ", _widths)}] and {_rows}.", nameof(tasks));
        _x = Pack(tasks.Select(t => t.Data.X));
        _labels = Pack(tasks.Select(t => t.Data.Labels));
    }

    public int Rows => _rows;

    /// <summary>Layer widths [d, h1, …, 1].</summary>
    public IReadOnlyList<int> Widths => _widths;

    /// <summary>The packed inputs (Count × Rows × d) and labels (Count × Rows), for the CUDA twin.</summary>
    internal float[] X => _x;
    internal float[] Labels => _labels;

    /// <summary>Loss and gradient on per-instance minibatches: <paramref name="batchRows"/> is Count × batch row indices.</summary>
    public void EvaluateRows(ReadOnlySpan<float> theta, ReadOnlySpan<int> batchRows, int batch, Span<float> loss, Span<float> gradient)
    {
        CheckRows(batchRows, batch);
        if (theta.Length != (long)Count * Dimension) throw new ArgumentException($"'theta' has {theta.Length} floats, the batch needs {(long)Count * Dimension}.", nameof(theta));
        if (loss.Length != 0 && loss.Length != Count) throw new ArgumentException($"'loss' has {loss.Length} floats, the batch needs {Count} (or 0).", nameof(loss));
        if (gradient.Length != 0 && gradient.Length != theta.Length) throw new ArgumentException($"'gradient' has {gradient.Length} floats, the batch needs {theta.Length} (or 0).", nameof(gradient));
        CpuProblems.Classifier(Count, Dimension, Data, batchRows, batch, theta, loss, gradient);
    }

    /// <summary>hv = ∇²f_B(theta)·v, f_B the loss on the per-instance minibatch rows (Count × batch), L2 term included.</summary>
    public void HessianVectorProductRows(ReadOnlySpan<float> theta, ReadOnlySpan<int> batchRows, int batch, ReadOnlySpan<float> v, Span<float> hv)
    {
        CheckRows(batchRows, batch);
        long n = (long)Count * Dimension;
        if (theta.Length != n) throw new ArgumentException($"'theta' has {theta.Length} floats, the batch needs {n}.", nameof(theta));
        if (v.Length != n) throw new ArgumentException($"'v' has {v.Length} floats, the batch needs {n}.", nameof(v));
        if (hv.Length != n) throw new ArgumentException($"'hv' has {hv.Length} floats, the batch needs {n}.", nameof(hv));
        CpuProblems.ClassifierHvp(Count, Dimension, Data, batchRows, batch, theta, v, hv);
    }

    /// <summary>Checks a minibatch: 1 ≤ batch ≤ Rows and Count × batch indices (their range is checked where they are used).</summary>
    internal void CheckRows(ReadOnlySpan<int> batchRows, int batch)
    {
        if (batch < 1 || batch > _rows) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"Batch must be in [1, {_rows}].");
        if (batchRows.Length != (long)Count * batch)
            throw new ArgumentException($"'batchRows' has {batchRows.Length} indices, the batch needs {Count} × {batch}.", nameof(batchRows));
    }

    protected override void Run(ReadOnlySpan<float> theta, Span<float> loss, Span<float> gradient, ReadOnlySpan<float> v, Span<float> hv)
    {
        if (!v.IsEmpty || !hv.IsEmpty) CpuProblems.ClassifierHvp(Count, Dimension, Data, default, 0, theta, v, hv);
        else CpuProblems.Classifier(Count, Dimension, Data, default, 0, theta, loss, gradient);
    }

    private CpuProblems.ClassifierData Data => new(_widths, _x, _labels, _rows, (float)ClassifierTask.L2Scale);
}
