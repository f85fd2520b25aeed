namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>
/// The BiasGRU cell of docs/hrnn.md, cell in float64 and its hand-written adjoint. Columns [r | u | c];
/// the reset gate scales h before the candidate matmul; e is the injected bias (3H) or empty.
/// The adjoint recomputes the cell's gates from (x, h), so callers keep only the cell's inputs.
/// </summary>
public static class BiasGru
{
    /// <summary>hNew = cell(x, h; e).</summary>
    public static void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> h, ReadOnlySpan<double> wx, ReadOnlySpan<double> wh,
                               ReadOnlySpan<double> b, ReadOnlySpan<double> e, Span<double> hNew)
    {
        int H = h.Length;
        Span<double> r = stackalloc double[H], u = stackalloc double[H], c = stackalloc double[H];
        Gates(x, h, wx, wh, b, e, r, u, c);
        for (int j = 0; j < H; j++) hNew[j] = u[j] * h[j] + (1 - u[j]) * c[j];
    }

    /// <summary>
    /// Accumulates the adjoint of hNew = cell(x, h; e): xBar, hBar, eBar (may be empty) and the
    /// weight gradients gwx, gwh, gb receive += contributions.
    /// </summary>
    public static void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> h, ReadOnlySpan<double> wx, ReadOnlySpan<double> wh,
                                ReadOnlySpan<double> b, ReadOnlySpan<double> e, ReadOnlySpan<double> hNewBar,
                                Span<double> xBar, Span<double> hBar, Span<double> eBar, Span<double> gwx, Span<double> gwh, Span<double> gb)
    {
        int H = h.Length, I = x.Length, G = 3 * H;
        Span<double> r = stackalloc double[H], u = stackalloc double[H], c = stackalloc double[H];
        Gates(x, h, wx, wh, b, e, r, u, c);
        Span<double> zBar = stackalloc double[G];   // adjoints of the three pre-activations
        Span<double> rhBar = stackalloc double[H];
        for (int j = 0; j < H; j++)
        {
            double hb = hNewBar[j];
            hBar[j] += hb * u[j];
            zBar[H + j] = hb * (h[j] - c[j]) * u[j] * (1 - u[j]);
            zBar[2 * H + j] = hb * (1 - u[j]) * (1 - c[j] * c[j]);
        }
        // Candidate block: its state input is r ⊙ h.
        for (int i = 0; i < H; i++)
        {
            double rh = r[i] * h[i], acc = 0;
            int row = i * G + 2 * H;
            for (int j = 0; j < H; j++)
            {
                gwh[row + j] += rh * zBar[2 * H + j];
                acc += wh[row + j] * zBar[2 * H + j];
            }
            rhBar[i] = acc;
        }
        for (int i = 0; i < H; i++)
        {
            hBar[i] += rhBar[i] * r[i];
            zBar[i] = rhBar[i] * h[i] * r[i] * (1 - r[i]);
        }
        for (int j = 0; j < G; j++)
        {
            gb[j] += zBar[j];
            if (!eBar.IsEmpty) eBar[j] += zBar[j];
        }
        for (int i = 0; i < I; i++)
        {
            double acc = 0;
            int row = i * G;
            for (int j = 0; j < G; j++)
            {
                gwx[row + j] += x[i] * zBar[j];
                acc += wx[row + j] * zBar[j];
            }
            xBar[i] += acc;
        }
        // Gate blocks r, u read h directly.
        for (int i = 0; i < H; i++)
        {
            double acc = 0;
            int row = i * G;
            for (int j = 0; j < 2 * H; j++)
            {
                gwh[row + j] += h[i] * zBar[j];
                acc += wh[row + j] * zBar[j];
            }
            hBar[i] += acc;
        }
    }

    private static void Gates(ReadOnlySpan<double> x, ReadOnlySpan<double> h, ReadOnlySpan<double> wx, ReadOnlySpan<double> wh,
                              ReadOnlySpan<double> b, ReadOnlySpan<double> e, Span<double> r, Span<double> u, Span<double> c)
    {
        int H = h.Length, I = x.Length, G = 3 * H;
        Span<double> z = stackalloc double[G];
        for (int j = 0; j < G; j++) z[j] = b[j] + (e.IsEmpty ? 0 : e[j]);
        for (int i = 0; i < I; i++)
        {
            double xi = x[i];
            int row = i * G;
            for (int j = 0; j < G; j++) z[j] += xi * wx[row + j];
        }
        for (int i = 0; i < H; i++)
        {
            double hi = h[i];
            int row = i * G;
            for (int j = 0; j < 2 * H; j++) z[j] += hi * wh[row + j];
        }
        for (int j = 0; j < H; j++)
        {
            r[j] = Sigmoid(z[j]);
            u[j] = Sigmoid(z[H + j]);
        }
        for (int i = 0; i < H; i++)
        {
            double rh = r[i] * h[i];
            int row = i * G + 2 * H;
            for (int j = 0; j < H; j++) z[2 * H + j] += rh * wh[row + j];
        }
        for (int j = 0; j < H; j++) c[j] = Math.Tanh(z[2 * H + j]);
    }

    internal static double Sigmoid(double z) => 1.0 / (1.0 + Math.Exp(-z));
}
