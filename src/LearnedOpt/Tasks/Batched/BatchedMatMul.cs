using LearnedOpt.Backends;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// MatMulAlgorithm(n, k) batched (docs/tasks.md, <see cref="Synthetic.MatMulTask"/> semantics):
/// Count instances of 2n²k parameters each (θ_a then θ_b, n² × k row-major). Loss, the
/// variable-projection gradient and the exact HVP with the guarded least-squares θ_c, from
/// native/include/lopt/lopt_matmul.h (float64 inside), run by the backend's MatMul kernels (the CPU
/// library, OpenMP over instances, or matmul.cu, one thread per instance). The family has no data
/// and no noise: a training step is the full evaluation.
/// </summary>
public sealed class BatchedMatMul : IBatchedProblem
{
    private readonly IMatMulKernels _kernels;
    private bool _disposed;

    public BatchedMatMul(IBackend backend, int count, int n, int k)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (n < 1 || n > 6) throw new ArgumentOutOfRangeException(nameof(n), n, "Matrix size n must be in [1, 6].");
        if (k < 1 || k > 4096) throw new ArgumentOutOfRangeException(nameof(k), k, "Number of products k must be in [1, 4096].");
        Backend = backend;
        Count = count;
        N = n;
        K = k;
        Dimension = checked(2 * n * n * k);
        _kernels = backend.Kernels.MatMul(count, n, k);
    }

    public IBackend Backend { get; }
    public int Count { get; }
    public int Dimension { get; }
    public int N { get; }
    public int K { get; }

    /// <summary>lopt_matmul_workspace: doubles of scratch one instance needs.</summary>
    internal static long WorkspaceDoubles(int n, int k)
    {
        long cols = (long)n * n;
        return 3L * k * k + 5L * k * cols + 2L * k + 3 * cols;
    }

    public void Evaluate(TensorView theta, TensorView loss, TensorView gradient)
    {
        Require(theta, (long)Count * Dimension, nameof(theta), false);
        Require(loss, Count, nameof(loss), true);
        Require(gradient, (long)Count * Dimension, nameof(gradient), true);
        Run(theta, loss, gradient, None, None);
    }

    public void HessianVectorProduct(TensorView theta, TensorView v, TensorView hv)
    {
        long n = (long)Count * Dimension;
        Require(theta, n, nameof(theta), false);
        Require(v, n, nameof(v), false);
        Require(hv, n, nameof(hv), false);
        Run(theta, None, None, v, hv);
    }

    public void TrainingStep(TensorView theta, long step, TensorView loss, TensorView gradient)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        Evaluate(theta, loss, gradient);
    }

    public void TrainingHvp(TensorView theta, long step, TensorView v, TensorView hv)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        HessianVectorProduct(theta, v, hv);
    }

    private TensorView None => TensorView.None(Backend.Location);

    private void Run(TensorView theta, TensorView loss, TensorView grad, TensorView v, TensorView hv) => _kernels.Run(theta, loss, grad, v, hv);

    private void Require(TensorView t, long expected, string name, bool mayBeNone)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (mayBeNone && t.IsNull) return;
        if (t.Location != Backend.Location)
            throw new ArgumentException($"'{name}' lives in {t.Location}, the backend works on {Backend.Location}.", name);
        if (t.IsNull || t.Length != expected)
            throw new ArgumentException($"'{name}' has {t.Length} floats{(t.IsNull ? " (null)" : "")}, the batch needs {expected}{(mayBeNone ? " (or None to skip it)" : "")}.", name);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _kernels.Dispose();
    }
}
