using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Tests.Hrnn;

/// <summary>
/// An independent double-precision scalar evaluation of one HRNN step, written from the math of
/// docs/hrnn.md, "One step" (it shares no code with native/). Non-finite policy as
/// docs/hrnn.md: a tensor with a gradient entry that is non-finite or above 1e18 in magnitude
/// keeps its state, does not move, and is left out of the global mean.
/// </summary>
internal sealed class HrnnReference
{
    private const int H0 = 10, S = 4, F = 12;
    private readonly Dictionary<string, double[]> _w;
    private readonly int _h1, _h2;
    private readonly double _lambda, _o;

    public HrnnReference(HrnnWeights weights, long[] lengths, double initialLogLr)
        : this(HrnnWeights.Layout(weights.H0, weights.H1, weights.H2).ToDictionary(e => e.Name, e => weights.Get(e.Name).Select(x => (double)x).ToArray()),
               weights.H1, weights.H2, lengths, initialLogLr)
    {
    }

    /// <summary>From float64 weights by tensor name (file layout), e.g. to difference the step in float64.</summary>
    public HrnnReference(IReadOnlyDictionary<string, double[]> weights, int h1, int h2, long[] lengths, double initialLogLr)
    {
        _w = weights.ToDictionary(p => p.Key, p => (double[])p.Value.Clone());
        _h1 = h1;
        _h2 = h2;
        _lambda = 1.0 / (1.0 + Math.Exp(-_w["lr/momentum_logit"][0]));
        _o = _w["lr/step_offset"][0];
        Tensors = lengths.Select(n => new TensorState(n, _w["cell/param/h0"], _w["cell/tensor/h0"], initialLogLr)).ToArray();
        G = (double[])_w["cell/global/h0"].Clone();
    }

    public sealed class TensorState
    {
        public TensorState(long n, double[] h0, double[] s0, double l0)
        {
            N = n;
            H = new double[n * H0];
            for (long i = 0; i < n; i++) Array.Copy(h0, 0, H, i * H0, H0);
            M = new double[n * S];
            V = new double[n * S];
            Beta = new double[n];
            Eta = new double[n];
            Ell = Enumerable.Repeat(l0, (int)n).ToArray();
            Sk = (double[])s0.Clone();
        }

        public long N;
        public double[] H, M, V, Beta, Eta, Ell, Sk; // H[i * H0 + j], M[i * S + s]
    }

    public TensorState[] Tensors { get; }
    public double[] G { get; private set; }

    /// <summary>One step; returns each tensor's update Δθ (θ' = θ − Δθ), all zeros for a skipped tensor.</summary>
    public double[][] Step(float[][] grads) => Step(grads.Select(g => Array.ConvertAll(g, v => (double)v)).ToArray());

    /// <summary>One step with float64 gradients; returns each tensor's update Δθ as <see cref="Step(float[][])"/>.</summary>
    public double[][] Step(double[][] grads)
    {
        double ellSum = 0, count = 0;
        foreach (var t in Tensors)
        {
            ellSum += t.Ell.Sum();
            count += t.N;
        }
        double mu = count > 0 ? ellSum / count : 0;
        var ePg = Affine(G, _w["bias/param_from_global/w"], _w["bias/param_from_global/b"], 3 * H0);
        var eTg = Affine(G, _w["bias/tensor_from_global/w"], _w["bias/tensor_from_global/b"], 3 * _h1);

        var updates = new double[Tensors.Length][];
        var newS = new List<double[]>();
        for (int k = 0; k < Tensors.Length; k++)
        {
            var t = Tensors[k];
            var g = grads[k];
            updates[k] = new double[t.N];
            if (t.N == 0 || g.Any(x => !double.IsFinite(x) || Math.Abs(x) > 1e18)) continue;
            var e0 = Affine(t.Sk, _w["bias/param_from_tensor/w"], _w["bias/param_from_tensor/b"], 3 * H0);
            for (int j = 0; j < e0.Length; j++) e0[j] += ePg[j];
            var d = new double[t.N];
            var a = new double[t.N];
            var mean = new double[H0 + F];
            for (long i = 0; i < t.N; i++)
            {
                var beta = new double[S];
                beta[0] = t.Beta[i];
                for (int s = 1; s < S; s++) beta[s] = Math.Sqrt(beta[s - 1]);
                var gh = new double[S];
                var lam = new double[S];
                for (int s = 0; s < S; s++)
                {
                    long q = i * S + s;
                    t.M[q] = beta[s] * t.M[q] + (1 - beta[s]) * g[i];
                    t.V[q] = t.Eta[i] * t.V[q] + (1 - t.Eta[i]) * (t.M[q] * t.M[q] + 1e-12);
                    gh[s] = Math.Asinh(t.M[q] / Math.Sqrt(t.V[q] + 1e-16));
                    lam[s] = Math.Log(t.V[q] + 1e-16);
                }
                double lmean = lam.Average();
                var x = new double[F];
                for (int s = 0; s < S; s++) x[s] = gh[s];
                for (int s = 0; s < S - 1; s++) x[S + s] = gh[s] * gh[s + 1];
                for (int s = 0; s < S; s++) x[2 * S - 1 + s] = lam[s] - lmean;
                x[F - 1] = t.Ell[i] - mu;

                var h = new double[H0];
                Array.Copy(t.H, i * H0, h, 0, H0);
                h = Gru(x, h, "param", e0);
                Array.Copy(h, 0, t.H, i * H0, H0);

                d[i] = Dot(h, _w["readout/direction/w"]) + Dot(gh, _w["readout/shortcut/w"]);
                t.Beta[i] = Sigmoid(Dot(h, _w["decay/input/w"]) + _w["decay/input/b"][0]);
                t.Eta[i] = Sigmoid(Dot(h, _w["decay/scale/w"]) + _w["decay/scale/b"][0]);
                a[i] = Math.Clamp(t.Ell[i] + Dot(h, _w["readout/lr/w"]) + _w["readout/lr/b"][0], -33, 33);
                t.Ell[i] = _lambda * t.Ell[i] + (1 - _lambda) * a[i];
                for (int j = 0; j < H0; j++) mean[j] += h[j] / t.N;
                for (int j = 0; j < F; j++) mean[H0 + j] += x[j] / t.N;
            }
            double c = 1.0 / Math.Sqrt(d.Sum(v => v * v) / t.N + 1e-16);
            for (long i = 0; i < t.N; i++) updates[k][i] = Math.Exp(a[i] + _o) * c * d[i];
            t.Sk = Gru(mean, t.Sk, "tensor", eTg);
            newS.Add(t.Sk);
        }
        if (newS.Count > 0)
        {
            var input = new double[_h1];
            foreach (var s in newS)
                for (int j = 0; j < _h1; j++) input[j] += s[j] / newS.Count;
            G = Gru(input, G, "global", null);
        }
        return updates;
    }

    // BiasGRU of docs/hrnn.md, cell: blocks [r | u | c], reset applied to h before the candidate matmul.
    private double[] Gru(double[] x, double[] h, string level, double[]? e)
    {
        var wx = _w[$"cell/{level}/w_x"];
        var wh = _w[$"cell/{level}/w_h"];
        var b = _w[$"cell/{level}/b"];
        int H = h.Length, I = x.Length, G3 = 3 * H;
        double Pre(int col, double[] hh)
        {
            double z = b[col] + (e?[col] ?? 0);
            for (int i = 0; i < I; i++) z += x[i] * wx[i * G3 + col];
            for (int i = 0; i < H; i++) z += hh[i] * wh[i * G3 + col];
            return z;
        }
        var r = new double[H];
        var u = new double[H];
        for (int j = 0; j < H; j++)
        {
            r[j] = Sigmoid(Pre(j, h));
            u[j] = Sigmoid(Pre(H + j, h));
        }
        var rh = new double[H];
        for (int j = 0; j < H; j++) rh[j] = r[j] * h[j];
        var result = new double[H];
        for (int j = 0; j < H; j++) result[j] = u[j] * h[j] + (1 - u[j]) * Math.Tanh(Pre(2 * H + j, rh));
        return result;
    }

    private static double[] Affine(double[] x, double[] w, double[] b, int cols)
    {
        var y = (double[])b.Clone();
        for (int i = 0; i < x.Length; i++)
            for (int j = 0; j < cols; j++) y[j] += x[i] * w[i * cols + j];
        return y;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static double Sigmoid(double z) => 1.0 / (1.0 + Math.Exp(-z));
}
