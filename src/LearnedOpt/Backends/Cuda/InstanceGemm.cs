using LearnedOpt.Cuda;

namespace LearnedOpt.Backends.Cuda;

/// <summary>
/// The same column-major GEMM for every instance of a device batch (instance i's matrices lie at
/// i times the stride from each base pointer), issued in chunks because some cuBLAS kernels limit
/// the batch to one grid dimension.
/// </summary>
internal static class InstanceGemm
{
    /// <summary>Instances per strided-batched call (a grid limit of some cuBLAS kernels).</summary>
    public const int MaxBatch = 65535;

    /// <summary>The device address <paramref name="floats"/> float32 elements past <paramref name="basePointer"/>.</summary>
    public static ulong At(ulong basePointer, long floats) => basePointer + (ulong)(floats * sizeof(float));

    /// <summary>C_i = α·op(A_i)·op(B_i) + β·C_i for the <paramref name="count"/> instances.</summary>
    public static void Run(CudaBlas blas, int count, bool ta, bool tb, int m, int n, int k, float alpha, ulong a, int lda, long sa,
        ulong b, int ldb, long sb, float beta, ulong c, int ldc, long sc)
    {
        for (int start = 0; start < count; start += MaxBatch)
        {
            int chunk = Math.Min(MaxBatch, count - start);
            blas.SgemmStridedBatched(ta, tb, m, n, k, alpha, At(a, start * sa), lda, sa, At(b, start * sb), ldb, sb,
                beta, At(c, start * sc), ldc, sc, chunk);
        }
    }
}
