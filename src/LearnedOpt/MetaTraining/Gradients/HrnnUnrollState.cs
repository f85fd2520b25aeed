using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>
/// The HRNN optimizer state (hrnn.md §6) in float64, coordinate-major: per tensor k with n_k
/// coordinates, H[i·H0 + j], M[i·S + s], V[i·S + s], Beta[i], Eta[i], Ell[i], and its tensor-RNN
/// state Sk[k]; one global state G. This is what a truncation hands to the next one.
/// </summary>
public sealed class HrnnUnrollState
{
    private const int H0 = HrnnParameters.H0, S = HrnnParameters.S;

    public HrnnUnrollState(int[] lengths, int h1, int h2)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        if (lengths.Length == 0) throw new ArgumentException("Need at least one tensor.", nameof(lengths));
        int bad = Array.FindIndex(lengths, n => n < 0);
        if (bad >= 0) throw new ArgumentOutOfRangeException(nameof(lengths), lengths[bad], $"Tensor {bad} has a negative length.");
        ArgumentOutOfRangeException.ThrowIfLessThan(h1, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(h2, 1);
        Lengths = (int[])lengths.Clone();
        int k = lengths.Length;
        H = new double[k][]; M = new double[k][]; V = new double[k][];
        Beta = new double[k][]; Eta = new double[k][]; Ell = new double[k][]; Sk = new double[k][];
        for (int t = 0; t < k; t++)
        {
            int n = lengths[t];
            H[t] = new double[n * H0]; M[t] = new double[n * S]; V[t] = new double[n * S];
            Beta[t] = new double[n]; Eta[t] = new double[n]; Ell[t] = new double[n]; Sk[t] = new double[h1];
        }
        G = new double[h2];
    }

    public int[] Lengths { get; }
    public int TensorCount => Lengths.Length;
    public int H1 => Sk[0].Length;
    public int H2 => G.Length;

    public readonly double[][] H, M, V, Beta, Eta, Ell, Sk;
    public readonly double[] G;

    /// <summary>
    /// The spec's initial state (§6): h, s_k, G from the learned h0 tensors, m = v = 0,
    /// β = η = 0 and every log learning rate ℓ₀ (default ln 1e-4, no random draw).
    /// </summary>
    public static HrnnUnrollState Initial(HrnnParameters w, int[] lengths, double? initialLogLr = null)
    {
        ArgumentNullException.ThrowIfNull(w);
        double l0 = initialLogLr ?? HrnnOptimizer.DefaultInitialLogLr;
        if (!double.IsFinite(l0)) throw new ArgumentOutOfRangeException(nameof(initialLogLr), l0, "The initial log learning rate must be finite.");
        var st = new HrnnUnrollState(lengths, w.H1, w.H2);
        for (int t = 0; t < st.TensorCount; t++)
        {
            for (int i = 0; i < lengths[t]; i++) Array.Copy(w.PH0, 0, st.H[t], i * H0, H0);
            Array.Fill(st.Ell[t], l0);
            Array.Copy(w.TH0, st.Sk[t], w.H1);
        }
        Array.Copy(w.GH0, st.G, w.H2);
        return st;
    }

    public HrnnUnrollState Clone()
    {
        var c = new HrnnUnrollState(Lengths, H1, H2);
        CopyTo(c);
        return c;
    }

    /// <summary>Copies every value into <paramref name="dest"/> (same lengths and sizes).</summary>
    public void CopyTo(HrnnUnrollState dest)
    {
        ArgumentNullException.ThrowIfNull(dest);
        if (!dest.Lengths.SequenceEqual(Lengths) || dest.H1 != H1 || dest.H2 != H2)
            throw new ArgumentException("The destination state has other tensor lengths or hidden sizes.", nameof(dest));
        for (int t = 0; t < TensorCount; t++)
        {
            H[t].CopyTo(dest.H[t], 0); M[t].CopyTo(dest.M[t], 0); V[t].CopyTo(dest.V[t], 0);
            Beta[t].CopyTo(dest.Beta[t], 0); Eta[t].CopyTo(dest.Eta[t], 0); Ell[t].CopyTo(dest.Ell[t], 0);
            Sk[t].CopyTo(dest.Sk[t], 0);
        }
        G.CopyTo(dest.G, 0);
    }

    /// <summary>Zeroes every value (used for adjoint accumulators).</summary>
    public void Clear()
    {
        for (int t = 0; t < TensorCount; t++)
            foreach (var a in new[] { H[t], M[t], V[t], Beta[t], Eta[t], Ell[t], Sk[t] }) Array.Clear(a);
        Array.Clear(G);
    }
}
