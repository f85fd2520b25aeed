using LearnedOpt.Interop;
using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Randomness;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// The native per-coordinate forward and adjoint (lopt_hrnn_grad.h through hrnn_grad_cpu.cpp)
/// against the separate managed statement, on random states and adjoints over more than one
/// chunk; float32 against float64.
/// </summary>
[Trait("tier", "cpu")]
public unsafe class HrnnGradNativeTests
{
    private const int P = TbpttHrnnState.PerCoordinate, H0 = HrnnParameters.H0, F = HrnnParameters.F, S = HrnnParameters.S;
    private const int PW = LoptHrnnGradNative.CoordWeights, G0 = 3 * H0;

    internal sealed class Inputs
    {
        public required HrnnParameters W;
        public required double[] E0, G, State, NBar, XAdd, HAdd, DBar, ABar;
        public double Mu = -7.5, Lambda = 0.8;
        public int N => G.Length;
    }

    internal static Inputs Random(int n, ulong seed)
    {
        var rng = new Rng(seed);
        double[] Vec(int len, Func<double> f) => Enumerable.Range(0, len).Select(_ => f()).ToArray();
        var state = new double[n * P];
        for (int i = 0; i < n; i++)
        {
            var c = state.AsSpan(i * P, P);
            for (int j = 0; j < H0; j++) c[j] = rng.Uniform(-1, 1);
            for (int s = 0; s < S; s++)
            {
                c[TbpttHrnnState.OffM + s] = rng.Gaussian(0, 1);
                c[TbpttHrnnState.OffV + s] = Math.Exp(rng.Gaussian(0, 1));
            }
            c[TbpttHrnnState.OffBeta] = rng.Uniform(0.05, 0.95);
            c[TbpttHrnnState.OffEta] = rng.Uniform(0.05, 0.95);
            c[TbpttHrnnState.OffEll] = rng.Gaussian(-7, 1);
        }
        return new Inputs
        {
            W = MetaGradTestData.Weights(seed), E0 = Vec(G0, () => rng.Gaussian(0, 0.5)),
            G = Vec(n, () => rng.Gaussian(0, 1) * Math.Pow(10, rng.Uniform(-3, 2))), State = state,
            NBar = Vec(n * P, () => rng.Gaussian(0, 1)), XAdd = Vec(F, () => rng.Gaussian(0, 0.1)), HAdd = Vec(H0, () => rng.Gaussian(0, 0.1)),
            DBar = Vec(n, () => rng.Gaussian(0, 1)), ABar = Vec(n, () => rng.Gaussian(0, 1)),
        };
    }

    [Fact]
    public void Float64MatchesTheManagedStatement()
    {
        var inp = Random(300, 17);
        int n = inp.N;
        var pack = inp.W.CoordinatePack();
        var next = new double[n * P];
        var d = new double[n];
        var a = new double[n];
        var sums = new double[LoptHrnnGradNative.Sums];
        var prevBar = new double[n * P];
        var gBar = new double[n];
        var acc = new double[LoptHrnnGradNative.Accumulators];
        fixed (double* pw = pack, e0 = inp.E0, g = inp.G, st = inp.State, nx = next, dp = d, ap = a, sp = sums,
               nb = inp.NBar, xa = inp.XAdd, ha = inp.HAdd, db = inp.DBar, ab = inp.ABar, pb = prevBar, gb = gBar, ac = acc)
        {
            Assert.Equal(0, LoptHrnnGradNative.lopt_hrnn_grad_forward_f64(pw, e0, inp.Mu, inp.Lambda, g, st, nx, dp, ap, sp, n));
            Assert.Equal(0, LoptHrnnGradNative.lopt_hrnn_grad_backward_f64(pw, e0, inp.Mu, inp.Lambda, g, st, nb, xa, ha, db, ab, pb, gb, ac, n));
        }

        var gw = HrnnParameters.Zeros(inp.W.H1, inp.W.H2);
        var e0Bar = new double[G0];
        double muBar = 0, lambdaBar = 0, sumD2 = 0;
        var x = new double[F];
        var hSum = new double[H0];
        var xSum = new double[F];
        for (int i = 0; i < n; i++)
        {
            var c = inp.State.AsSpan(i * P, P);
            var o = new double[P];
            var vals = new HrnnCoordinateReference.Values { H = o.AsSpan(0, H0), M = o.AsSpan(TbpttHrnnState.OffM, S), V = o.AsSpan(TbpttHrnnState.OffV, S) };
            HrnnCoordinateReference.Forward(inp.W, inp.Lambda, inp.E0, inp.Mu, inp.G[i], c[..H0], c.Slice(TbpttHrnnState.OffM, S), c.Slice(TbpttHrnnState.OffV, S),
                c[TbpttHrnnState.OffBeta], c[TbpttHrnnState.OffEta], c[TbpttHrnnState.OffEll], ref vals, x, out double dr, out double ar);
            o[TbpttHrnnState.OffBeta] = vals.Beta; o[TbpttHrnnState.OffEta] = vals.Eta; o[TbpttHrnnState.OffEll] = vals.Ell;
            Close($"new state of coordinate {i}", o, next.AsSpan(i * P, P), 1e-12);
            Close($"d, a of coordinate {i}", [dr, ar], [d[i], a[i]], 1e-12);
            sumD2 += dr * dr;
            for (int j = 0; j < H0; j++) hSum[j] += o[j];
            for (int j = 0; j < F; j++) xSum[j] += x[j];

            var nb = inp.NBar.AsSpan(i * P, P).ToArray();
            for (int j = 0; j < H0; j++) nb[j] += inp.HAdd[j];
            var nbar = new HrnnCoordinateReference.Values
            {
                H = nb.AsSpan(0, H0), M = nb.AsSpan(TbpttHrnnState.OffM, S), V = nb.AsSpan(TbpttHrnnState.OffV, S),
                Beta = nb[TbpttHrnnState.OffBeta], Eta = nb[TbpttHrnnState.OffEta], Ell = nb[TbpttHrnnState.OffEll],
            };
            var pbv = new double[P];
            var pbar = new HrnnCoordinateReference.Values { H = pbv.AsSpan(0, H0), M = pbv.AsSpan(TbpttHrnnState.OffM, S), V = pbv.AsSpan(TbpttHrnnState.OffV, S) };
            double gr = HrnnCoordinateReference.Backward(inp.W, inp.Lambda, inp.E0, inp.Mu, inp.G[i], c[..H0], c.Slice(TbpttHrnnState.OffM, S), c.Slice(TbpttHrnnState.OffV, S),
                c[TbpttHrnnState.OffBeta], c[TbpttHrnnState.OffEta], c[TbpttHrnnState.OffEll], ref nbar, inp.XAdd, inp.DBar[i], inp.ABar[i],
                ref pbar, ref muBar, e0Bar, ref lambdaBar, gw);
            pbv[TbpttHrnnState.OffBeta] = pbar.Beta; pbv[TbpttHrnnState.OffEta] = pbar.Eta; pbv[TbpttHrnnState.OffEll] = pbar.Ell;
            Close($"old-state adjoint of coordinate {i}", pbv, prevBar.AsSpan(i * P, P), 1e-10);
            Close($"gradient adjoint of coordinate {i}", [gr], [gBar[i]], 1e-10);
        }
        Close("sums", [sumD2, .. hSum, .. xSum], sums, 1e-12);
        Close("weight gradient", gw.CoordinatePack(), acc.AsSpan(0, PW), 1e-10);
        Close("e0, mu, lambda adjoints", [.. e0Bar, muBar, lambdaBar], acc.AsSpan(PW), 1e-10);
    }

    [Fact]
    public void Float32AgreesWithFloat64()
    {
        var inp = Random(300, 23);
        int n = inp.N;
        float[] F32(double[] v) => v.Select(x => (float)x).ToArray();
        var pack = inp.W.CoordinatePack();
        var (next64, gBar64, acc64) = (new double[n * P], new double[n], new double[LoptHrnnGradNative.Accumulators]);
        var (next32, gBar32, acc32) = (new float[n * P], new float[n], new double[LoptHrnnGradNative.Accumulators]);
        var (d64, a64, s64, pb64) = (new double[n], new double[n], new double[LoptHrnnGradNative.Sums], new double[n * P]);
        var (d32, a32, s32, pb32) = (new float[n], new float[n], new double[LoptHrnnGradNative.Sums], new float[n * P]);
        var (pack32, e032, g32, st32, nb32, xa32, ha32, db32, ab32) = (F32(pack), F32(inp.E0), F32(inp.G), F32(inp.State), F32(inp.NBar), F32(inp.XAdd), F32(inp.HAdd), F32(inp.DBar), F32(inp.ABar));
        // The float inputs, widened, so both paths see the same values.
        double[] W64(float[] v) => v.Select(x => (double)x).ToArray();
        var (p64, e064, g64, st64, nbw, xaw, haw, dbw, abw) = (W64(pack32), W64(e032), W64(g32), W64(st32), W64(nb32), W64(xa32), W64(ha32), W64(db32), W64(ab32));
        float mu = (float)inp.Mu, lam = (float)inp.Lambda;
        fixed (double* pw = p64, e0 = e064, g = g64, st = st64, nx = next64, dp = d64, ap = a64, sp = s64, nb = nbw, xa = xaw, ha = haw, db = dbw, ab = abw, pb = pb64, gb = gBar64, ac = acc64)
        {
            Assert.Equal(0, LoptHrnnGradNative.lopt_hrnn_grad_forward_f64(pw, e0, mu, lam, g, st, nx, dp, ap, sp, n));
            Assert.Equal(0, LoptHrnnGradNative.lopt_hrnn_grad_backward_f64(pw, e0, mu, lam, g, st, nb, xa, ha, db, ab, pb, gb, ac, n));
        }
        fixed (float* pw = pack32, e0 = e032, g = g32, st = st32, nx = next32, dp = d32, ap = a32, nb = nb32, xa = xa32, ha = ha32, db = db32, ab = ab32, pb = pb32, gb = gBar32)
        fixed (double* sp = s32, ac = acc32)
        {
            Assert.Equal(0, LoptHrnnGradNative.lopt_hrnn_grad_forward_f32(pw, e0, mu, lam, g, st, nx, dp, ap, sp, n));
            Assert.Equal(0, LoptHrnnGradNative.lopt_hrnn_grad_backward_f32(pw, e0, mu, lam, g, st, nb, xa, ha, db, ab, pb, gb, ac, n));
        }
        Close("new state", next64, W64(next32), 1e-4);
        Close("d", d64, W64(d32), 1e-4);
        Close("old-state adjoint", pb64, W64(pb32), 1e-3);
        Close("gradient adjoint", gBar64, W64(gBar32), 1e-3);
        Close("accumulators", acc64, acc32, 1e-3);
    }

    [Fact]
    public void BadArgumentsReturnAnErrorNamingTheLauncher()
    {
        var acc = new double[LoptHrnnGradNative.Accumulators];
        fixed (double* ac = acc)
        {
            int code = LoptHrnnGradNative.lopt_hrnn_grad_backward_f64(null, null, 0, 0, null, null, null, null, null, null, null, null, null, ac, 4);
            var e = Assert.Throws<InvalidOperationException>(() => LoptCpuNative.Check(code, "backward"));
            Assert.Contains("lopt_hrnn_grad_backward_f64", e.Message);
        }
    }

    // Every entry within tol of the reference, relative to the largest reference magnitude.
    internal static void Close(string what, ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 0;
        foreach (var v in expected) scale = Math.Max(scale, Math.Abs(v));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * scale + 1e-300,
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (scale {scale:R})");
    }
}
