using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>
/// The HRNN optimizer state (docs/hrnn.md, state) in float64. Per tensor k with n_k coordinates,
/// <see cref="Coords"/>[k] holds 21 values per coordinate, coordinate-major (the native layout of
/// lopt_hrnn_grad.h): h (H0), m (S), v (S), β, η, ℓ; <see cref="Sk"/>[k] is its tensor-RNN state;
/// <see cref="G"/> the global state. This is what a truncation hands to the next one.
/// </summary>
public sealed class TbpttHrnnState
{
    public const int H0 = HrnnParameters.H0, S = HrnnParameters.S;
    /// <summary>Values per coordinate and their offsets.</summary>
    public const int PerCoordinate = H0 + 2 * S + 3, OffH = 0, OffM = H0, OffV = H0 + S, OffBeta = H0 + 2 * S, OffEta = OffBeta + 1, OffEll = OffBeta + 2;

    public TbpttHrnnState(int[] lengths, int h1, int h2)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        if (lengths.Length == 0) throw new ArgumentException("Need at least one tensor.", nameof(lengths));
        int bad = Array.FindIndex(lengths, n => n < 0);
        if (bad >= 0) throw new ArgumentOutOfRangeException(nameof(lengths), lengths[bad], $"Tensor {bad} has a negative length.");
        ArgumentOutOfRangeException.ThrowIfLessThan(h1, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(h2, 1);
        Lengths = (int[])lengths.Clone();
        Coords = lengths.Select(n => new double[checked(n * PerCoordinate)]).ToArray();
        Sk = lengths.Select(_ => new double[h1]).ToArray();
        G = new double[h2];
    }

    public int[] Lengths { get; }
    public int TensorCount => Lengths.Length;
    public int H1 => Sk[0].Length;
    public int H2 => G.Length;

    public readonly double[][] Coords, Sk;
    public readonly double[] G;

    /// <summary>The 21 state values of coordinate i of tensor t.</summary>
    public Span<double> Coordinate(int t, int i) => Coords[t].AsSpan(i * PerCoordinate, PerCoordinate);

    public double Ell(int t, int i) => Coords[t][i * PerCoordinate + OffEll];

    public double H(int t, int i, int j) => Coords[t][i * PerCoordinate + OffH + j];

    /// <summary>
    /// The default initial state (docs/hrnn.md, state): h, s_k, G from the learned h0 tensors, m = v = 0,
    /// β = η = 0 and every log learning rate ℓ₀ (default ln 1e-4, no random draw).
    /// </summary>
    public static TbpttHrnnState Initial(HrnnParameters w, int[] lengths, double? initialLogLr = null)
    {
        ArgumentNullException.ThrowIfNull(w);
        double l0 = initialLogLr ?? HrnnOptimizer.DefaultInitialLogLr;
        if (!double.IsFinite(l0)) throw new ArgumentOutOfRangeException(nameof(initialLogLr), l0, "The initial log learning rate must be finite.");
        var st = new TbpttHrnnState(lengths, w.H1, w.H2);
        for (int t = 0; t < st.TensorCount; t++)
        {
            for (int i = 0; i < lengths[t]; i++)
            {
                var c = st.Coordinate(t, i);
                w.PH0.CopyTo(c[OffH..]);
                c[OffEll] = l0;
            }
            Array.Copy(w.TH0, st.Sk[t], w.H1);
        }
        Array.Copy(w.GH0, st.G, w.H2);
        return st;
    }

    public TbpttHrnnState Clone()
    {
        var c = new TbpttHrnnState(Lengths, H1, H2);
        CopyTo(c);
        return c;
    }

    /// <summary>Copies every value into <paramref name="dest"/> (same lengths and sizes).</summary>
    public void CopyTo(TbpttHrnnState dest)
    {
        ArgumentNullException.ThrowIfNull(dest);
        if (!dest.Lengths.SequenceEqual(Lengths) || dest.H1 != H1 || dest.H2 != H2)
            throw new ArgumentException("The destination state has other tensor lengths or hidden sizes.", nameof(dest));
        for (int t = 0; t < TensorCount; t++)
        {
            Coords[t].CopyTo(dest.Coords[t], 0);
            Sk[t].CopyTo(dest.Sk[t], 0);
        }
        G.CopyTo(dest.G, 0);
    }
}
