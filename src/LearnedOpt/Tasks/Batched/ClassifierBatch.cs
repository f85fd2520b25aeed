using LearnedOpt.Interop;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// Logistic-regression or sigmoid-MLP instances of one architecture, each with its own dataset,
/// evaluated in one native call (loss and gradient; the exact HVP is on the float64 path only).
/// <see cref="ProblemBatch.Evaluate"/> uses all rows; <see cref="EvaluateRows"/> a minibatch per instance.
/// </summary>
public sealed unsafe class ClassifierBatch : ProblemBatch
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
    protected override string Call => "lopt_problems_classifier";

    /// <summary>Loss and gradient on per-instance minibatches: <paramref name="batchRows"/> is Count × batch row indices.</summary>
    public void EvaluateRows(ReadOnlySpan<float> theta, ReadOnlySpan<int> batchRows, int batch, Span<float> loss, Span<float> gradient)
    {
        if (batch < 1 || batch > _rows) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"Batch must be in [1, {_rows}].");
        if (batchRows.Length != (long)Count * batch)
            throw new ArgumentException($"'batchRows' has {batchRows.Length} indices, the batch needs {Count} × {batch}.", nameof(batchRows));
        if (theta.Length != (long)Count * Dimension) throw new ArgumentException($"'theta' has {theta.Length} floats, the batch needs {(long)Count * Dimension}.", nameof(theta));
        if (loss.Length != 0 && loss.Length != Count) throw new ArgumentException($"'loss' has {loss.Length} floats, the batch needs {Count} (or 0).", nameof(loss));
        if (gradient.Length != 0 && gradient.Length != theta.Length) throw new ArgumentException($"'gradient' has {gradient.Length} floats, the batch needs {theta.Length} (or 0).", nameof(gradient));
        fixed (float* t = theta)
        fixed (int* r = batchRows)
        fixed (float* l = loss)
        fixed (float* g = gradient)
            LoptCpuNative.Check(Native(t, r, batch, loss.IsEmpty ? null : l, gradient.IsEmpty ? null : g), Call);
    }

    protected override int Run(float* theta, float* loss, float* gradient, float* v, float* hv)
    {
        if (v != null || hv != null)
            throw new NotSupportedException("The batched classifier has no Hessian-vector product; use ClassifierTask.Hvp (float64).");
        return Native(theta, null, 0, loss, gradient);
    }

    private int Native(float* theta, int* rows, int batch, float* loss, float* gradient)
    {
        fixed (int* w = _widths)
        fixed (float* x = _x)
        fixed (float* y = _labels)
            return LoptProblemsNative.lopt_problems_classifier(Count, _widths.Length - 1, w, x, y, _rows, rows, batch,
                (float)ClassifierTask.L2Scale, theta, loss, gradient);
    }
}
