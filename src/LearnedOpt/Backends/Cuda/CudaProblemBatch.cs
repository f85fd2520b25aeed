using LearnedOpt.Cuda;
using LearnedOpt.Tasks.Batched;

namespace LearnedOpt.Backends.Cuda;

/// <summary>
/// The GPU twin of a <see cref="HostProblemBatch"/>: its coefficients uploaded once, evaluations on
/// device tensors by the kernels of native/kernels/problems.cu (the same math header as the CPU
/// launchers). Work is queued on the backend's stream; call Synchronize or copy back to wait.
/// </summary>
internal sealed unsafe class CudaProblemBatch : IProblemBatchKernels
{
    private const string File = "problems.cu";

    // Dense kernels keep 3n + 32 floats in shared memory; 48 KiB is the no-opt-in limit.
    private const int MaxDenseN = (48 * 1024 / sizeof(float) - 32) / 3;

    private readonly CudaBackend _backend;
    private readonly HostProblemBatch _batch;
    private readonly DeviceBuffer? _c0;
    private readonly DeviceBuffer? _c1;
    private readonly CudaFunction _kernel;

    public CudaProblemBatch(CudaBackend backend, HostProblemBatch batch)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(batch);
        _backend = backend;
        _batch = batch;
        (float[]? c0, float[]? c1, string kernel) = batch switch
        {
            TestFunctionBatch => ((float[]?)null, (float[]?)null, "lopt_problems_testfn"),
            BowlBatch b => (b.A, null, "lopt_problems_bowl"),
            QuadraticBatch q => (q.W, q.Y, "lopt_problems_quadratic"),
            NormBatch m => (m.W, m.Y, "lopt_problems_norm"),
            _ => throw new NotSupportedException($"No CUDA kernel for {batch.GetType().Name}."),
        };
        if (batch is QuadraticBatch or NormBatch && batch.Dimension > MaxDenseN)
            throw new NotSupportedException($"Dense problems on CUDA support n <= {MaxDenseN} (shared memory), got n = {batch.Dimension}.");
        _kernel = backend.GetFunction(File, kernel);
        try
        {
            if (c0 != null) { _c0 = backend.Allocate(c0.Length); backend.CopyFromHost(c0, _c0.View); }
            if (c1 != null) { _c1 = backend.Allocate(c1.Length); backend.CopyFromHost(c1, _c1.View); }
        }
        catch
        {
            _c0?.Dispose();
            throw;
        }
    }

    public int Count => _batch.Count;
    public int Dimension => _batch.Dimension;

    /// <summary>Loss (Count) and gradient (Count × Dimension) on the device; pass TensorView.None to skip either.</summary>
    public void Evaluate(TensorView theta, TensorView loss, TensorView gradient)
    {
        long n = (long)Count * Dimension;
        Require(theta, n, nameof(theta), false);
        Require(loss, Count, nameof(loss), true);
        Require(gradient, n, nameof(gradient), true);
        Launch(theta.DevicePointer, loss.DevicePointer, gradient.DevicePointer, 0, 0);
    }

    /// <summary>hv = ∇²f(theta)·v on the device.</summary>
    public void HessianVectorProduct(TensorView theta, TensorView v, TensorView hv)
    {
        long n = (long)Count * Dimension;
        Require(theta, n, nameof(theta), false);
        Require(v, n, nameof(v), false);
        Require(hv, n, nameof(hv), false);
        Launch(theta.DevicePointer, 0, 0, v.DevicePointer, hv.DevicePointer);
    }

    private void Launch(ulong theta, ulong loss, ulong grad, ulong v, ulong hv)
    {
        long count = Count;
        int dim = Dimension;
        ulong c0 = _c0?.View.DevicePointer ?? 0, c1 = _c1?.View.DevicePointer ?? 0;
        switch (_batch)
        {
            case TestFunctionBatch t:
            {
                int fn = (int)t.Function;
                var args = stackalloc void*[] { &fn, &count, &theta, &loss, &grad, &v, &hv };
                _backend.Launch(_kernel, _backend.GridFor(count), KernelLauncher.DefaultBlock, args);
                break;
            }
            case BowlBatch:
            {
                var args = stackalloc void*[] { &count, &c0, &theta, &loss, &grad, &v, &hv };
                _backend.Launch(_kernel, _backend.GridFor(count), KernelLauncher.DefaultBlock, args);
                break;
            }
            case QuadraticBatch:
            {
                var args = stackalloc void*[] { &count, &dim, &c0, &c1, &theta, &loss, &grad, &v, &hv };
                LaunchDense(args);
                break;
            }
            case NormBatch m:
            {
                float p = (float)m.P;
                var args = stackalloc void*[] { &count, &dim, &p, &c0, &c1, &theta, &loss, &grad, &v, &hv };
                LaunchDense(args);
                break;
            }
        }
    }

    // One block per instance (grid-stride over instances), a warp per row: round n up to warps, at most 256 threads.
    private void LaunchDense(void** args)
    {
        uint block = (uint)Math.Clamp((Dimension + 31) / 32 * 32, 32, KernelLauncher.DefaultBlock);
        uint grid = (uint)Math.Min(Count, 65535);
        uint shared = (uint)((3 * Dimension + 32) * sizeof(float));
        _backend.Launch(_kernel, grid, block, args, shared);
    }

    private static void Require(TensorView t, long expected, string name, bool mayBeNone)
    {
        if (mayBeNone && t.IsNull) return;
        if (t.Location != MemoryLocation.CudaDevice)
            throw new ArgumentException($"'{name}' must be a CUDA device tensor, got {t.Location}.", name);
        if (t.IsNull || t.Length != expected)
            throw new ArgumentException($"'{name}' has {t.Length} floats, the batch needs {expected}.", name);
    }

    public void Dispose()
    {
        _c0?.Dispose();
        _c1?.Dispose();
    }
}
