using LearnedOpt.Backends;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// Base of the batched wrappers (noise, rescale, log, sparse, sum): an <see cref="IBatchedProblem"/>
/// built over inner batched problems on one backend, with the elementwise math of
/// <see cref="WrapperKernels"/> and scratch tensors allocated once. It owns (and disposes) its inner
/// problems. Besides the interface it offers <see cref="MinibatchStep"/>, the training step without
/// noise and masks (FlatTask.MinibatchValue), which the log wrapper's exact Jacobian needs; inner
/// problems that are not composites are leaves, whose training step is noise- and mask-free by
/// contract (see <see cref="BatchedWrappers"/>). Calls must not pass aliasing tensors. A node keeps
/// scratch tensors between its calls, so one composite must not be called from two threads at once.
/// </summary>
public abstract class BatchedComposite : IBatchedProblem
{
    private readonly List<DeviceBuffer> _scratch = [];
    private readonly IReadOnlyList<ulong>? _seeds;
    private WrapperKernels? _kernels;
    private bool _disposed;

    protected BatchedComposite(IBackend backend, int count, int dimension, IReadOnlyList<ulong>? seeds = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        Backend = backend;
        Count = count;
        Dimension = dimension;
        if (seeds != null && seeds.Count != count)
            throw new ArgumentException($"'seeds' has {seeds.Count} entries, one per instance ({count}) is needed.", nameof(seeds));
        _seeds = seeds?.ToArray();
    }

    public IBackend Backend { get; }
    public int Count { get; }
    public int Dimension { get; }

    /// <summary>True when this node or one below adds gradient noise or a sparsity mask, so the training gradient differs from the minibatch gradient.</summary>
    public abstract bool IsStochastic { get; }

    // Created on first use, so a constructor that rejects its arguments leaves nothing allocated.
    protected WrapperKernels Kernels => _kernels ??= WrapperKernels.Create(Backend, Count, _seeds);

    protected TensorView None => TensorView.None(Backend.Location);

    public abstract void Evaluate(TensorView theta, TensorView loss, TensorView gradient);
    public abstract void HessianVectorProduct(TensorView theta, TensorView v, TensorView hv);
    public abstract void TrainingStep(TensorView theta, long step, TensorView loss, TensorView gradient);
    public abstract void TrainingHvp(TensorView theta, long step, TensorView v, TensorView hv);

    /// <summary>The loss and gradient of <see cref="TrainingStep"/> without gradient noise and sparsity masks.</summary>
    public abstract void MinibatchStep(TensorView theta, long step, TensorView loss, TensorView gradient);

    /// <summary><see cref="MinibatchStep"/> of a composite, the training step of a (noise-free) leaf.</summary>
    protected static void Minibatch(IBatchedProblem p, TensorView theta, long step, TensorView loss, TensorView gradient)
    {
        if (p is BatchedComposite c) c.MinibatchStep(theta, step, loss, gradient);
        else p.TrainingStep(theta, step, loss, gradient);
    }

    protected static bool Stochastic(IBatchedProblem p) => p is BatchedComposite { IsStochastic: true };

    /// <summary>A zeroed backend tensor owned by this node.</summary>
    protected TensorView Scratch(long length)
    {
        var b = Backend.Allocate(length);
        _scratch.Add(b);
        return b.View;
    }

    /// <summary>Checks the inner problems share this node's backend and instance count.</summary>
    protected void RequireInner(IBatchedProblem inner, string name)
    {
        ArgumentNullException.ThrowIfNull(inner, name);
        if (!ReferenceEquals(inner.Backend, Backend))
            throw new ArgumentException($"'{name}' runs on another backend ({inner.Backend.Description}).", name);
        if (inner.Count != Count)
            throw new ArgumentException($"'{name}' has {inner.Count} instances, this wrapper {Count}.", name);
    }

    /// <summary>Argument checks of every public call: theta (and v, hv) Count × Dimension; loss Count or None; gradient Count × Dimension or None.</summary>
    protected void Check(TensorView theta, TensorView loss, TensorView gradient)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Require(theta, (long)Count * Dimension, nameof(theta), false);
        Require(loss, Count, nameof(loss), true);
        Require(gradient, (long)Count * Dimension, nameof(gradient), true);
    }

    protected void CheckHvp(TensorView theta, TensorView v, TensorView hv)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long n = (long)Count * Dimension;
        Require(theta, n, nameof(theta), false);
        Require(v, n, nameof(v), false);
        Require(hv, n, nameof(hv), false);
    }

    protected static void CheckStep(long step) => ArgumentOutOfRangeException.ThrowIfNegative(step);

    private void Require(TensorView t, long expected, string name, bool mayBeNone)
    {
        if (mayBeNone && t.IsNull) return;
        if (t.Location != Backend.Location)
            throw new ArgumentException($"'{name}' lives in {t.Location}, the backend works on {Backend.Location}.", name);
        if (t.IsNull || t.Length != expected)
            throw new ArgumentException($"'{name}' has {t.Length} floats{(t.IsNull ? " (null)" : "")}, the batch needs {expected}{(mayBeNone ? " (or None to skip it)" : "")}.", name);
    }

    /// <summary>The inner problems this node owns.</summary>
    protected abstract IEnumerable<IBatchedProblem> Children { get; }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var c in Children) c.Dispose();
        foreach (var b in _scratch) b.Dispose();
        _kernels?.Dispose();
        GC.SuppressFinalize(this);
    }
}
