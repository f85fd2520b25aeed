using LearnedOpt.Cuda;
using LearnedOpt.Tasks.Batched;

namespace LearnedOpt.Backends.Cuda;

/// <summary>MatMulAlgorithm(n, k) as the kernel of matmul.cu (one thread per instance, float64 scratch in device memory).</summary>
internal sealed unsafe class CudaMatMulKernels : IMatMulKernels
{
    private const string File = "matmul.cu";
    private const int Block = 64;
    private const int MaxGrid = 256;

    private readonly CudaBackend _cuda;
    private readonly CudaFunction _kernel;
    private readonly DeviceBuffer _workspace;
    private readonly uint _grid;
    private readonly int _count, _n, _k;

    public CudaMatMulKernels(CudaBackend cuda, int count, int n, int k)
    {
        (_cuda, _count, _n, _k) = (cuda, count, n, k);
        _kernel = cuda.GetFunction(File, "lopt_problems_matmul");
        _grid = (uint)Math.Min((count + Block - 1) / Block, MaxGrid);
        // One float64 slot per thread of the grid (interleaved by the kernel), as floats; the arena aligns to 256 bytes.
        _workspace = cuda.Allocate(checked(2L * _grid * Block * BatchedMatMul.WorkspaceDoubles(n, k)));
    }

    public void Run(TensorView theta, TensorView loss, TensorView gradient, TensorView v, TensorView hv)
    {
        long count = _count;
        int n = _n, k = _k;
        ulong t = theta.DevicePointer, l = loss.DevicePointer, g = gradient.DevicePointer, pv = v.DevicePointer, phv = hv.DevicePointer;
        ulong ws = _workspace.View.DevicePointer;
        var args = stackalloc void*[] { &count, &n, &k, &t, &l, &g, &pv, &phv, &ws };
        _cuda.Launch(_kernel, _grid, Block, args);
    }

    public void Dispose() => _workspace.Dispose();
}
