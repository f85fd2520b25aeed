using LearnedOpt.Backends;
using LearnedOpt.Cuda;
using LearnedOpt.Interop;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// MatMulAlgorithm(n, k) batched (docs/tasks.md, <see cref="Synthetic.MatMulTask"/> semantics):
/// Count instances of 2n²k parameters each (θ_a then θ_b, n² × k row-major). Loss, the
/// variable-projection gradient and the exact HVP with the guarded least-squares θ_c, from
/// native/include/lopt/lopt_matmul.h (float64 inside) on the CPU library (OpenMP over instances)
/// or the CUDA kernel of matmul.cu (one thread per instance). The family has no data and no noise:
/// a training step is the full evaluation.
/// </summary>
public sealed unsafe class BatchedMatMul : IBatchedProblem
{
    private const string File = "matmul.cu";
    private const int Block = 64;
    private const int MaxGrid = 256;

    private readonly CudaBackend? _cuda;
    private readonly CudaFunction _kernel;
    private readonly DeviceBuffer? _workspace;
    private readonly uint _grid;
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
        switch (backend)
        {
            case CpuBackend:
                LoptMatMulNative.EnsureLoaded();
                break;
            case CudaBackend cuda:
                _cuda = cuda;
                _kernel = cuda.GetFunction(File, "lopt_problems_matmul");
                _grid = (uint)Math.Min((count + Block - 1) / Block, MaxGrid);
                // One float64 slot per thread of the grid (interleaved by the kernel), as floats; the arena aligns to 256 bytes.
                _workspace = cuda.Allocate(checked(2L * _grid * Block * WorkspaceDoubles(n, k)));
                break;
            default:
                throw new NotSupportedException($"No batched MatMul on backend {backend.Kind}.");
        }
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

    private void Run(TensorView theta, TensorView loss, TensorView grad, TensorView v, TensorView hv)
    {
        if (_cuda == null)
        {
            static float* P(TensorView t) => t.IsNull ? null : t.HostPointer;
            LoptCpuNative.Check(LoptMatMulNative.lopt_problems_matmul(Count, N, K, P(theta), P(loss), P(grad), P(v), P(hv)), "lopt_problems_matmul");
            return;
        }
        long count = Count;
        int n = N, k = K;
        ulong t = theta.DevicePointer, l = loss.DevicePointer, g = grad.DevicePointer, pv = v.DevicePointer, phv = hv.DevicePointer;
        ulong ws = _workspace!.View.DevicePointer;
        var args = stackalloc void*[] { &count, &n, &k, &t, &l, &g, &pv, &phv, &ws };
        _cuda.Launch(_kernel, _grid, Block, args);
    }

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
        _workspace?.Dispose();
    }
}
