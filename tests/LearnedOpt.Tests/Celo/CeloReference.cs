namespace LearnedOpt.Tests.Celo;

/// <summary>
/// An independent float64 reference of Celo (Moudgil et al. 2025), written from the published
/// description of the algorithm and sharing no code with native/ or src/: element coordinates are
/// unravelled and re-ravelled explicitly, every mean is a plain double sum. Weights are named
/// arrays in our file's names (mlp/w0 (30x4) ... sched/lstm/c0 (64)).
/// </summary>
internal sealed class CeloReference
{
    private static readonly double[] MomentumDecays = [0.9, 0.99, 0.999];
    private static readonly double[] Tau = [0.03, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0, 1.1];
    private const int H = 64;

    private readonly IReadOnlyDictionary<string, float[]> _w;
    private readonly long _n;
    private readonly bool _phase1;
    private readonly double[] _means = new double[10], _runningMin = new double[10], _decays = new double[10];
    private long _it;

    public CeloReference(IReadOnlyDictionary<string, float[]> weights, IReadOnlyList<long[]> shapes, long totalSteps, bool phase1 = false)
    {
        _w = weights;
        _n = totalSteps;
        _phase1 = phase1;
        for (int j = 0; j < 10; j++)
        {
            double halflife = Math.Pow(10, 1 + (Math.Log10(totalSteps) - 1) * j / 9.0);
            _decays[j] = Math.Exp(-1 / halflife);
            _runningMin[j] = 999999999999.0;
        }
        Hidden = weights["sched/lstm/h0"].Select(v => (double)v).ToArray();
        Cell = weights["sched/lstm/c0"].Select(v => (double)v).ToArray();
        States = shapes.Select(s => new TensorState(s)).ToList();
    }

    public List<TensorState> States { get; }
    public double[] Hidden { get; }
    public double[] Cell { get; }
    public long StepsTaken { get; private set; }
    public double LastMultiplier { get; private set; }

    public sealed class TensorState
    {
        public TensorState(long[] shape)
        {
            Shape = shape;
            N = shape.Aggregate(1L, (a, b) => a * b);
            M = [new double[N], new double[N], new double[N]];
            Rms = new double[N];
            Factored = shape.Length >= 2;
            if (Factored)
            {
                // Stable ascending sort of the axes by size: the last is d0, the one before d1.
                var order = Enumerable.Range(0, shape.Length).OrderBy(a => shape[a]).ToArray();
                D0 = order[^1];
                D1 = order[^2];
                RowShape = Without(shape, D0);
                ColShape = Without(shape, D1);
                long rows = RowShape.Aggregate(1L, (a, b) => a * b), cols = ColShape.Aggregate(1L, (a, b) => a * b);
                VRow = [new double[rows], new double[rows], new double[rows]];
                VCol = [new double[cols], new double[cols], new double[cols]];
            }
            else V = [new double[N], new double[N], new double[N]];
        }

        public long[] Shape { get; }
        public long N { get; }
        public bool Factored { get; }
        public int D0 { get; }
        public int D1 { get; }
        public long[] RowShape { get; } = [];
        public long[] ColShape { get; } = [];
        public double[][] M { get; }
        public double[] Rms { get; }
        public double[][] V { get; } = [];
        public double[][] VRow { get; } = [];
        public double[][] VCol { get; } = [];
    }

    /// <summary>One step on the parameters (updated in place); returns Δ per tensor.</summary>
    public List<double[]> Step(double loss, IReadOnlyList<double[]> parameters, IReadOnlyList<double[]> gradients)
    {
        double s = Schedule(loss);
        var deltas = new List<double[]>();
        for (int k = 0; k < States.Count; k++) deltas.Add(StepTensor(States[k], parameters[k], gradients[k], s));
        StepsTaken++;
        return deltas;
    }

    // --- global: loss features, progress features, LSTM scheduler ---

    public double Schedule(double loss)
    {
        if (double.IsFinite(loss)) AddLoss(loss);
        var x = ProgressFeatures(StepsTaken, _n).Concat(LossFeatures()).ToArray();
        var z = new double[H];
        for (int j = 0; j < H; j++)
        {
            double u = W("sched/mix_max/b", j), zin = W("sched/mix_in/b", j);
            for (int q = 0; q < 18; q++)
            {
                u += x[q] * W("sched/mix_max/w", q * H + j);
                zin += x[q] * W("sched/mix_in/w", q * H + j);
            }
            z[j] = zin + Math.Max(u, 0);
        }
        var input = z.Concat(Hidden).ToArray();
        var gates = new double[4 * H];
        for (int j = 0; j < 4 * H; j++)
        {
            double a = W("sched/lstm/b", j);
            for (int r = 0; r < 2 * H; r++) a += input[r] * W("sched/lstm/w", r * 4 * H + j);
            gates[j] = a;
        }
        LstmCell(gates, Hidden, Cell);
        double o = W("sched/step/b", 0);
        for (int j = 0; j < H; j++) o += Hidden[j] * W("sched/step/w", j);
        LastMultiplier = _phase1 ? 1.0 : 0.1 * Math.Exp(o);
        return LastMultiplier;
    }

    /// <summary>Gates [i | g | f | o] of width h; forget bias +1.</summary>
    public static void LstmCell(double[] gates, double[] h, double[] c)
    {
        int n = h.Length;
        for (int j = 0; j < n; j++)
        {
            c[j] = Sigmoid(gates[2 * n + j] + 1) * c[j] + Sigmoid(gates[j]) * Math.Tanh(gates[n + j]);
            h[j] = Sigmoid(gates[3 * n + j]) * Math.Tanh(c[j]);
        }
    }

    public static double[] ProgressFeatures(long t, long n)
    {
        double x = (float)((double)t / n);
        return Tau.Select(tau => Math.Tanh(10 * (x - tau))).ToArray();
    }

    public void AddLoss(double loss)
    {
        double a = loss;
        if (_it > 0)
        {
            a = double.NegativeInfinity;
            for (int j = 0; j < 10; j++) a = Math.Max(a, _means[j] / (1 - Math.Pow(_decays[j], _it + 1)));
        }
        double l = Math.Min(2 * Math.Abs(a), loss);
        for (int j = 0; j < 10; j++)
        {
            _means[j] = _decays[j] * _means[j] + (1 - _decays[j]) * l;
            _runningMin[j] = Math.Min(_runningMin[j], _means[j] / (1 - Math.Pow(_decays[j], _it + 1)));
        }
        _it++;
    }

    public double[] LossFeatures()
    {
        var f = new double[9];
        if (_it <= 2) return f;
        var c = Enumerable.Range(0, 10).Select(j => _means[j] / (1 - Math.Pow(_decays[j], _it))).ToArray();
        for (int j = 0; j < 9; j++) f[j] = Math.Clamp((c[j] - _runningMin[j]) / Math.Max(1e-8, c[j + 1] - _runningMin[j]) - 1, -1, 1);
        return f;
    }

    public IReadOnlyList<double> LossDecays => _decays;

    // --- per tensor ---

    private double[] StepTensor(TensorState st, double[] p, double[] gRaw, double s)
    {
        long n = st.N;
        var g = gRaw.Select(v => Math.Clamp(v, -1000, 1000)).ToArray();
        for (int k = 0; k < 3; k++)
            for (long i = 0; i < n; i++) st.M[k][i] = MomentumDecays[k] * st.M[k][i] + (1 - MomentumDecays[k]) * g[i];
        for (long i = 0; i < n; i++) st.Rms[i] = 0.999 * st.Rms[i] + 0.001 * g[i] * g[i];

        var fac = new double[3][];
        var mfac = new double[3][];
        var va = new double[3][];
        var vb = new double[3][];
        if (st.Factored)
        {
            var rowIndex = new long[n];
            var colIndex = new long[n];
            for (long i = 0; i < n; i++)
            {
                var coords = Unravel(i, st.Shape);
                rowIndex[i] = Ravel(Without(coords, st.D0), st.RowShape);
                colIndex[i] = Ravel(Without(coords, st.D1), st.ColShape);
            }
            double perRow = st.Shape[st.D0], perCol = st.Shape[st.D1];
            var rowSum = new double[st.VRow[0].Length];
            var colSum = new double[st.VCol[0].Length];
            for (long i = 0; i < n; i++)
            {
                rowSum[rowIndex[i]] += g[i] * g[i] + 1e-30;
                colSum[colIndex[i]] += g[i] * g[i] + 1e-30;
            }
            // r̄: v_row averaged over the d1 axis as it sits inside v_row's shape.
            int d1InRow = st.D1 < st.D0 ? st.D1 : st.D1 - 1;
            var rbarShape = Without(st.RowShape, d1InRow);
            var rbarOfRow = new long[rowSum.Length];
            for (long r = 0; r < rowSum.Length; r++) rbarOfRow[r] = Ravel(Without(Unravel(r, st.RowShape), d1InRow), rbarShape);
            for (int k = 0; k < 3; k++)
            {
                double beta = MomentumDecays[k];
                for (long r = 0; r < rowSum.Length; r++) st.VRow[k][r] = beta * st.VRow[k][r] + (1 - beta) * rowSum[r] / perRow;
                for (long c = 0; c < colSum.Length; c++) st.VCol[k][c] = beta * st.VCol[k][c] + (1 - beta) * colSum[c] / perCol;
                var rbar = new double[rbarShape.Aggregate(1L, (a, b) => a * b)];
                for (long r = 0; r < rowSum.Length; r++) rbar[rbarOfRow[r]] += st.VRow[k][r] / st.Shape[st.D1];
                fac[k] = new double[n];
                va[k] = new double[n];
                vb[k] = new double[n];
                for (long i = 0; i < n; i++)
                {
                    double vr = st.VRow[k][rowIndex[i]], vc = st.VCol[k][colIndex[i]];
                    double rf = 1 / Math.Sqrt(Math.Max(vr / (rbar[rbarOfRow[rowIndex[i]]] + 1e-9), 1e-9));
                    double cf = 1 / Math.Sqrt(Math.Max(vc, 1e-9));
                    fac[k][i] = rf * cf;
                    va[k][i] = vr;
                    vb[k][i] = vc;
                }
                mfac[k] = fac[k];
            }
        }
        else
        {
            for (int k = 0; k < 3; k++)
            {
                double beta = MomentumDecays[k];
                fac[k] = new double[n];
                mfac[k] = new double[n];
                for (long i = 0; i < n; i++)
                {
                    st.V[k][i] = beta * st.V[k][i] + (1 - beta) * (g[i] * g[i] + 1e-30);
                    fac[k][i] = 1 / Math.Sqrt(Math.Max(st.V[k][i] + 1e-9, 1e-9));
                    mfac[k][i] = 1 / Math.Sqrt(st.V[k][i]);
                }
                va[k] = st.V[k];
                vb[k] = st.V[k];
            }
        }

        var x = new double[n, 30];
        for (long i = 0; i < n; i++)
        {
            double rho = 1 / Math.Sqrt(st.Rms[i] + 1e-6);
            x[i, 0] = g[i];
            x[i, 1] = Math.Clamp(g[i], -0.1, 0.1);
            x[i, 2] = p[i];
            x[i, 6] = st.Rms[i];
            x[i, 10] = rho;
            x[i, 14] = g[i] * rho;
            for (int k = 0; k < 3; k++)
            {
                x[i, 3 + k] = st.M[k][i];
                x[i, 7 + k] = st.M[k][i] * rho;
                x[i, 11 + k] = g[i] * fac[k][i];
                x[i, 15 + k] = va[k][i];
                x[i, 18 + k] = vb[k][i];
                x[i, 21 + k] = 1 / Math.Sqrt(va[k][i] + 1e-8);
                x[i, 24 + k] = 1 / Math.Sqrt(vb[k][i] + 1e-8);
                x[i, 27 + k] = st.M[k][i] * mfac[k][i];
            }
        }
        var scale = new double[30];
        for (int q = 0; q < 30; q++)
        {
            double sum = 0;
            for (long i = 0; i < n; i++) sum += x[i, q] * x[i, q];
            scale[q] = 1 / Math.Sqrt(1e-5 + sum / n);
        }
        double sumP = 0;
        for (long i = 0; i < n; i++) sumP += p[i] * p[i];
        double sigma = Math.Sqrt(sumP / n + 1e-9);

        var delta = new double[n];
        for (long i = 0; i < n; i++)
        {
            var h1 = new double[4];
            for (int j = 0; j < 4; j++)
            {
                double a = W("mlp/b0", j);
                for (int q = 0; q < 30; q++) a += x[i, q] * scale[q] * W("mlp/w0", q * 4 + j);
                h1[j] = Math.Max(a, 0);
            }
            var h2 = new double[4];
            for (int j = 0; j < 4; j++)
            {
                double a = W("mlp/b1", j);
                for (int r = 0; r < 4; r++) a += h1[r] * W("mlp/w1", r * 4 + j);
                h2[j] = Math.Max(a, 0);
            }
            double d = W("mlp/b2", 0), mag = W("mlp/b2", 1);
            for (int r = 0; r < 4; r++)
            {
                d += h2[r] * W("mlp/w2", r * 3);
                mag += h2[r] * W("mlp/w2", r * 3 + 1);
            }
            delta[i] = s * d * Math.Exp(0.001 * mag) * 0.001 * sigma;
        }
        for (long i = 0; i < n; i++) p[i] -= delta[i];
        return delta;
    }

    private double W(string name, long index) => _w[name][index];

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    private static long[] Without(long[] v, int axis) => v.Where((_, a) => a != axis).ToArray();

    private static long[] Unravel(long i, long[] shape)
    {
        var c = new long[shape.Length];
        for (int a = shape.Length - 1; a >= 0; a--)
        {
            c[a] = i % shape[a];
            i /= shape[a];
        }
        return c;
    }

    private static long Ravel(long[] coords, long[] shape)
    {
        long i = 0;
        for (int a = 0; a < shape.Length; a++) i = i * shape[a] + coords[a];
        return i;
    }
}
