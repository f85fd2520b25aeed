using LearnedOpt.Interop;

namespace LearnedOpt.Cuda;

/// <summary>
/// A cuBLAS handle bound to one stream (column-major, as cuBLAS). Default math mode: no TF32, so
/// results stay comparable to the CPU reference; callers wanting TF32 can call <see cref="SetMathMode"/>.
/// </summary>
public sealed unsafe class CudaBlas : IDisposable
{
    private readonly PrimaryContextHandle _context;
    private readonly CublasHandle _handle;

    public CudaBlas(PrimaryContextHandle context, nint stream)
    {
        _context = context;
        _context.MakeCurrent();
        _handle = CublasHandle.Create();
        CudaException.ThrowIfCublasFailed(Cublas.cublasSetStream_v2(_handle.DangerousGetHandle(), stream), "cublasSetStream_v2");
        SetMathMode(Cublas.DefaultMath);
    }

    public nint Handle => _handle.DangerousGetHandle();

    /// <summary>cublasMath_t: 0 default (FP32), 2 pedantic, 3 TF32 tensor ops.</summary>
    public void SetMathMode(int mode)
    {
        _context.MakeCurrent();
        CudaException.ThrowIfCublasFailed(Cublas.cublasSetMathMode(Handle, mode), "cublasSetMathMode");
    }

    /// <summary>C = alpha op(A) op(B) + beta C, column-major, device pointers.</summary>
    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, ulong a, int lda, ulong b, int ldb, float beta, ulong c, int ldc)
        => SgemmStridedBatched(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);

    /// <summary>
    /// For each i &lt; batch: C_i = alpha op(A_i) op(B_i) + beta C_i, where X_i = X + i * strideX elements.
    /// Column-major; op(A) is m x k, op(B) is k x n, C is m x n.
    /// </summary>
    public void SgemmStridedBatched(bool transA, bool transB, int m, int n, int k,
        float alpha, ulong a, int lda, long strideA, ulong b, int ldb, long strideB,
        float beta, ulong c, int ldc, long strideC, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        Leading(lda, transA ? k : m, nameof(lda));
        Leading(ldb, transB ? n : k, nameof(ldb));
        Leading(ldc, m, nameof(ldc));
        if (m > 0 && n > 0)
        {
            if (k > 0 && a == 0) throw new ArgumentException("a is a null device pointer.", nameof(a));
            if (k > 0 && b == 0) throw new ArgumentException("b is a null device pointer.", nameof(b));
            if (c == 0) throw new ArgumentException("c is a null device pointer.", nameof(c));
        }
        _context.MakeCurrent();
        CudaException.ThrowIfCublasFailed(Cublas.cublasSgemmStridedBatched(Handle,
            transA ? Cublas.OpT : Cublas.OpN, transB ? Cublas.OpT : Cublas.OpN, m, n, k,
            &alpha, a, lda, strideA, b, ldb, strideB, &beta, c, ldc, strideC, batch), "cublasSgemmStridedBatched");
    }

    public void Dispose()
    {
        _context.MakeCurrent();
        _handle.Dispose();
    }

    private static void Leading(int ld, int rows, string name)
    {
        if (ld < Math.Max(1, rows))
            throw new ArgumentOutOfRangeException(name, ld, $"{name} must be >= max(1, {rows}), the rows of the stored matrix.");
    }
}
