using LearnedOpt.Tensors;

namespace LearnedOpt.Optimizers.Celo;

/// <summary>
/// How Celo factors one tensor's second moment (docs/celo.md): tensors with two or more axes keep
/// v_row (the shape without the largest axis d0) and v_col (without the second largest, d1), ranked
/// by (size, axis index) so that on ties the later axis counts as larger; others keep v per element.
/// </summary>
public sealed record CeloTensorLayout(long Length, bool Factored, long Rows, long Cols, long RowMeans,
                                      long Size0, long Stride0, long Size1, long Stride1, long RowMeanSize, long RowMeanStride)
{
    /// <summary>Floats of the state block: m (3n), rms (n), then v (3n) or v_row, v_col, r̄ (3 each).</summary>
    public long StateFloats => 4 * Length + (Factored ? 3 * (Rows + Cols + RowMeans) : 3 * Length);

    /// <summary>Floats of persistent state (r̄ is derived each step and not exported).</summary>
    public long PersistentFloats => 4 * Length + (Factored ? 3 * (Rows + Cols) : 3 * Length);

    public static CeloTensorLayout For(TensorSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var shape = spec.Shape;
        long n = spec.Length;
        if (shape.Length < 2 || n == 0) return new CeloTensorLayout(n, false, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        // Axes ascending by (size, index): d0 is the last, d1 the one before it.
        var order = Enumerable.Range(0, shape.Length).OrderBy(a => shape[a]).ThenBy(a => a).ToArray();
        int d0 = order[^1], d1 = order[^2];
        long Stride(int axis)
        {
            long s = 1;
            for (int a = axis + 1; a < shape.Length; a++) s *= shape[a];
            return s;
        }
        long size0 = shape[d0], size1 = shape[d1], stride0 = Stride(d0), stride1 = Stride(d1);
        long rows = n / size0, cols = n / size1;
        // d1 inside v_row's index space (the shape without d0): its stride shrinks by size0 when d0 comes after it.
        long rStride = d1 < d0 ? stride1 / size0 : stride1;
        return new CeloTensorLayout(n, true, rows, cols, rows / size1, size0, stride0, size1, stride1, size1, rStride);
    }
}
