using LearnedOpt.Interop;

namespace LearnedOpt.Optimizers.Celo;

/// <summary>Tensor-table entries of the native Celo step (pointers filled in per step).</summary>
internal static class CeloTables
{
    public static LoptCeloTensor Descriptor(CeloTensorLayout l) => new()
    {
        N = l.Length, Rows = l.Rows, Cols = l.Cols, RowMeans = l.RowMeans,
        Size0 = l.Size0, Stride0 = l.Stride0, Size1 = l.Size1, Stride1 = l.Stride1,
        RowMeanSize = l.RowMeanSize, RowMeanStride = l.RowMeanStride, Factored = l.Factored ? 1 : 0,
    };
}
