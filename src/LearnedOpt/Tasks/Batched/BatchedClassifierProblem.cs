using LearnedOpt.Backends;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// Noise-free classifier instances (logistic regression or sigmoid MLPs of one architecture) as an
/// <see cref="IBatchedProblem"/>, run by its backend's classifier kernels (the CPU library's
/// <see cref="ClassifierBatch"/> launchers, or classifier.cu and cuBLAS on CUDA). A training step
/// uses the minibatch rows that <see cref="FlatTask.TrainingValue"/> uses when given <c>new Rng(dataSeed).Stream(step)</c>
/// (the batch schedule keyed by the data seed and the step), computed on the host and passed to
/// the batch; <see cref="TrainingHvp"/> uses the same rows.
/// </summary>
public sealed class BatchedClassifierProblem : IBatchedProblem
{
    private readonly ClassifierTask[] _tasks;
    private readonly ulong[] _seeds;
    private readonly ClassifierBatch _batch;
    private readonly IClassifierBatchKernels _kernels;
    private readonly int _batchSize;
    private long _rowsStep = -1;
    private int[] _rows = [];

    public BatchedClassifierProblem(IBackend backend, IReadOnlyList<ClassifierTask> tasks, IReadOnlyList<ulong> dataSeeds)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(dataSeeds);
        if (tasks.Count == 0) throw new ArgumentException("A batch needs at least one task.", nameof(tasks));
        if (dataSeeds.Count != tasks.Count)
            throw new ArgumentException($"'dataSeeds' has {dataSeeds.Count} seeds for {tasks.Count} tasks.", nameof(dataSeeds));
        foreach (var t in tasks)
        {
            if (t.NoiseStd > 0)
                throw new ArgumentException($"'{t.Name}' has gradient noise σ = {t.NoiseStd}; noise is the noise wrapper's, build the noise-free task.", nameof(tasks));
            if (t.BatchSize != tasks[0].BatchSize)
                throw new ArgumentException($"A batch needs one minibatch size; '{t.Name}' has {t.BatchSize}, the first task {tasks[0].BatchSize}.", nameof(tasks));
        }
        Backend = backend;
        _tasks = [.. tasks];
        _seeds = [.. dataSeeds];
        _batchSize = tasks[0].BatchSize;
        _batch = new ClassifierBatch(_tasks);
        _kernels = backend.Kernels.ClassifierBatch(_batch);
    }

    /// <summary>The batched problem of <paramref name="tasks"/>, or null where they are not all noise-free classifiers of one architecture, dataset size and minibatch size.</summary>
    public static BatchedClassifierProblem? TryCreate(IBackend backend, IReadOnlyList<FlatTask> tasks, IReadOnlyList<ulong> dataSeeds)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(dataSeeds);
        if (tasks.Count == 0 || dataSeeds.Count != tasks.Count) return null;
        if (tasks[0] is not ClassifierTask first) return null;
        var list = new List<ClassifierTask>(tasks.Count);
        foreach (var t in tasks)
        {
            if (t is not ClassifierTask c || c.NoiseStd > 0 || c.BatchSize != first.BatchSize || c.Data.Rows != first.Data.Rows
                || !c.Widths.SequenceEqual(first.Widths))
                return null;
            list.Add(c);
        }
        return new BatchedClassifierProblem(backend, list, dataSeeds);
    }

    public IBackend Backend { get; }
    public int Count => _batch.Count;
    public int Dimension => _batch.Dimension;

    public void Evaluate(TensorView theta, TensorView loss, TensorView gradient)
        => _kernels.Evaluate(theta, loss, gradient);

    public void HessianVectorProduct(TensorView theta, TensorView v, TensorView hv)
        => _kernels.HessianVectorProduct(theta, v, hv);

    public void TrainingStep(TensorView theta, long step, TensorView loss, TensorView gradient)
        => _kernels.EvaluateRows(theta, Rows(step), _batchSize, loss, gradient);

    public void TrainingHvp(TensorView theta, long step, TensorView v, TensorView hv)
        => _kernels.HessianVectorProductRows(theta, Rows(step), _batchSize, v, hv);

    /// <summary>Count × B row indices of <paramref name="step"/>: instance k's are ClassifierTask.BatchRows(new Rng(seed_k).Stream(step), step).</summary>
    public int[] BatchRows(long step) => [.. Rows(step)];

    // TrainingStep and TrainingHvp of one step usually come in pairs: the last step's rows are kept
    // (not thread-safe, like the backend's stream this problem queues work on).
    private int[] Rows(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step == _rowsStep) return _rows;
        var rows = new int[Count * _batchSize];
        for (int k = 0; k < Count; k++)
            _tasks[k].BatchRows(new Rng(_seeds[k]).Stream(step), step).CopyTo(rows, k * _batchSize);
        (_rows, _rowsStep) = (rows, step);
        return rows;
    }

    public void Dispose() => _kernels.Dispose();
}
