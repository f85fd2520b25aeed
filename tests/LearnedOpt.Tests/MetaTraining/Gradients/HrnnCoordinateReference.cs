using LearnedOpt.MetaTraining.Gradients;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// A separate C# statement of one coordinate of the HRNN step in float64 (docs/hrnn.md, "One step", with the
/// parameter cell, the outputs up to the per-tensor RMS rescale) and its hand-written adjoint, to compare
/// with the native lopt_hrnn_grad.h (it uses .NET's Math.Asinh and the managed BiasGru).
/// </summary>
internal static class HrnnCoordinateReference
{
    private const int H0 = HrnnParameters.H0, S = HrnnParameters.S, F = HrnnParameters.F;

    /// <summary>The coordinate's state (old or new) as values, plus its step outputs.</summary>
    public ref struct Values
    {
        public Span<double> H, M, V;   // H0, S, S
        public double Beta, Eta, Ell;
    }

    /// <summary>
    /// One step: reads the old state, writes the new one, the features x (F), the direction d
    /// and the clipped log step a (θ moves by exp(a + o)·c_k·d).
    /// </summary>
    public static void Forward(HrnnParameters w, double lambda, ReadOnlySpan<double> e0, double mu, double g,
                               ReadOnlySpan<double> h, ReadOnlySpan<double> m, ReadOnlySpan<double> v, double beta, double eta, double ell,
                               ref Values next, Span<double> x, out double d, out double a)
    {
        Span<double> bs = stackalloc double[S];
        Features(g, beta, eta, ell - mu, m, v, next.M, next.V, x, bs);
        BiasGru.Forward(x, h, w.PWx, w.PWh, w.PB, e0, next.H);
        Readouts(w, next.H, x, ell, out d, out double zb, out double ze, out double zl);
        next.Beta = BiasGru.Sigmoid(zb);
        next.Eta = BiasGru.Sigmoid(ze);
        a = Math.Clamp(zl, -33.0, 33.0);
        next.Ell = lambda * ell + (1 - lambda) * a;  // only the stored log-LR is smoothed (D10)
    }

    /// <summary>
    /// Adjoint of <see cref="Forward"/>. In: the adjoints of the new state (<paramref name="nextBar"/>,
    /// consumed), of x (from the tensor RNN's mean input), of d and of a. Out: the adjoints of the old
    /// state (<paramref name="prevBar"/>, overwritten) and of g (returned); μ̄, ē0, λ̄ and the weight
    /// gradients are accumulated. The ±33 clip passes its gradient straight through (D9).
    /// </summary>
    public static double Backward(HrnnParameters w, double lambda, ReadOnlySpan<double> e0, double mu, double g,
                                  ReadOnlySpan<double> h, ReadOnlySpan<double> m, ReadOnlySpan<double> v, double beta, double eta, double ell,
                                  ref Values nextBar, ReadOnlySpan<double> xBarIn, double dBar, double aBar,
                                  ref Values prevBar, ref double muBar, Span<double> e0Bar, ref double lambdaBar, HrnnParameters gw)
    {
        // Recompute the forward.
        Span<double> bs = stackalloc double[S], mn = stackalloc double[S], vn = stackalloc double[S];
        Span<double> x = stackalloc double[F], hn = stackalloc double[H0];
        Features(g, beta, eta, ell - mu, m, v, mn, vn, x, bs);
        BiasGru.Forward(x, h, w.PWx, w.PWh, w.PB, e0, hn);
        Readouts(w, hn, x, ell, out _, out double zb, out double ze, out double zl);
        double betaN = BiasGru.Sigmoid(zb), etaN = BiasGru.Sigmoid(ze), a = Math.Clamp(zl, -33.0, 33.0);

        // Readouts and the log-LR.
        Span<double> hBar = nextBar.H, xBar = stackalloc double[F];
        xBarIn.CopyTo(xBar);
        double ellBar = lambda * nextBar.Ell;
        lambdaBar += nextBar.Ell * (ell - a);
        double zlBar = aBar + (1 - lambda) * nextBar.Ell;  // straight through the clip
        double zbBar = nextBar.Beta * betaN * (1 - betaN), zeBar = nextBar.Eta * etaN * (1 - etaN);
        ellBar += zlBar;
        gw.Bl[0] += zlBar; gw.Bb[0] += zbBar; gw.Be[0] += zeBar;
        for (int j = 0; j < H0; j++)
        {
            hBar[j] += zlBar * w.Wl[j] + zbBar * w.Wb[j] + zeBar * w.We[j] + dBar * w.Wd[j];
            gw.Wl[j] += zlBar * hn[j]; gw.Wb[j] += zbBar * hn[j]; gw.We[j] += zeBar * hn[j]; gw.Wd[j] += dBar * hn[j];
        }
        for (int s = 0; s < S; s++)
        {
            xBar[s] += dBar * w.Ws[s];
            gw.Ws[s] += dBar * x[s];
        }

        // Parameter cell.
        prevBar.H.Clear();
        BiasGru.Backward(x, h, w.PWx, w.PWh, w.PB, e0, hBar, xBar, prevBar.H, e0Bar, gw.PWx, gw.PWh, gw.PB);

        // Features: rho = ell - mu, q_s = lambda_s - mean lambda, products, asinh of the normalised momenta.
        ellBar += xBar[F - 1];
        muBar -= xBar[F - 1];
        double qMean = 0;
        for (int s = 0; s < S; s++) qMean += xBar[2 * S - 1 + s];
        qMean /= S;
        Span<double> ghBar = stackalloc double[S];
        for (int s = 0; s < S; s++) ghBar[s] = xBar[s];
        for (int s = 0; s < S - 1; s++)
        {
            ghBar[s] += xBar[S + s] * x[s + 1];
            ghBar[s + 1] += xBar[S + s] * x[s];
        }
        double etaBar = 0;
        Span<double> bsBar = stackalloc double[S];
        double gBar = 0;
        for (int s = 0; s < S; s++)
        {
            double ve = vn[s] + 1e-16, sq = Math.Sqrt(ve), u = mn[s] / sq;
            double uBar = ghBar[s] / Math.Sqrt(1 + u * u);
            double lamBar = xBar[2 * S - 1 + s] - qMean;
            double mnBar = nextBar.M[s] + uBar / sq;
            double vnBar = nextBar.V[s] - 0.5 * uBar * u / ve + lamBar / ve;
            etaBar += vnBar * (v[s] - mn[s] * mn[s] - 1e-12);
            prevBar.V[s] = eta * vnBar;
            mnBar += (1 - eta) * 2 * mn[s] * vnBar;
            bsBar[s] = mnBar * (m[s] - g);
            prevBar.M[s] = bs[s] * mnBar;
            gBar += (1 - bs[s]) * mnBar;
        }
        // beta_{s+1} = sqrt(beta_s); at beta = 0 (a fresh state, never differentiated) the term is dropped.
        for (int s = S - 1; s > 0; s--)
            if (bs[s] > 0) bsBar[s - 1] += bsBar[s] / (2 * bs[s]);
        prevBar.Beta = bsBar[0];
        prevBar.Eta = etaBar;
        prevBar.Ell = ellBar;
        return gBar;
    }

    // m, v updates and the feature vector x (docs/hrnn.md, features); bs receives beta_1..beta_S.
    private static void Features(double g, double beta, double eta, double rho, ReadOnlySpan<double> m, ReadOnlySpan<double> v,
                                 Span<double> mn, Span<double> vn, Span<double> x, Span<double> bs)
    {
        double lsum = 0;
        Span<double> lam = stackalloc double[S];
        for (int s = 0; s < S; s++)
        {
            bs[s] = s == 0 ? beta : Math.Sqrt(bs[s - 1]);
            mn[s] = bs[s] * m[s] + (1 - bs[s]) * g;
            vn[s] = eta * v[s] + (1 - eta) * (mn[s] * mn[s] + 1e-12);
            x[s] = Math.Asinh(mn[s] / Math.Sqrt(vn[s] + 1e-16));
            lam[s] = Math.Log(vn[s] + 1e-16);
            lsum += lam[s];
        }
        for (int s = 0; s < S - 1; s++) x[S + s] = x[s] * x[s + 1];
        for (int s = 0; s < S; s++) x[2 * S - 1 + s] = lam[s] - lsum / S;
        x[F - 1] = rho;
    }

    // d and the pre-activations of beta', eta' and a (before the clip).
    private static void Readouts(HrnnParameters w, ReadOnlySpan<double> hn, ReadOnlySpan<double> x, double ell,
                                 out double d, out double zb, out double ze, out double zl)
    {
        d = 0; zb = w.Bb[0]; ze = w.Be[0]; zl = ell + w.Bl[0];
        for (int j = 0; j < H0; j++)
        {
            d += hn[j] * w.Wd[j];
            zb += hn[j] * w.Wb[j];
            ze += hn[j] * w.We[j];
            zl += hn[j] * w.Wl[j];
        }
        for (int s = 0; s < S; s++) d += x[s] * w.Ws[s];
    }
}
