using LearnedOpt.Data;
using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// Two-class classifiers on synthetic data: logistic regression (no hidden layer) and the
/// sigmoid MLPs (docs/tasks.md). One output logit z (docs/tasks.md decision 3; the MLPs likewise, since the reference's
/// second unit only ever saw the L2 term). Loss = mean over rows of softplus(z) − y·z, plus
/// λ·(1/P)·Σₖ‖θₖ‖² with λ = 10⁻³ and P the number of tensors. The Hessian-vector product is
/// exact (Pearlmutter's R-operator: forward-over-reverse), not Gauss–Newton.
/// Tensors: "w" [d,1], "b" [1] for logistic; "w0" [d,h1], "b0" [h1], …, "wL" [hL,1], "bL" [1] for MLPs.
/// </summary>
public sealed class ClassifierTask : FlatTask
{
    public const double L2Scale = 1e-3;
    private readonly int[] _widths;
    private readonly int[] _wOffset;
    private readonly int[] _bOffset;
    private readonly EpochBatchSchedule _schedule;
    private readonly int _batchSize;

    public ClassifierTask(string name, SyntheticDataset data, IReadOnlyList<int> hidden, int batchSize, double noiseStd = 0)
        : base(name, hidden.Count == 0 ? "logistic" : "mlp", Specs(data, hidden), noiseStd)
    {
        Data = data;
        _widths = [data.Features, .. hidden, 1];
        int layers = _widths.Length - 1;
        _wOffset = new int[layers];
        _bOffset = new int[layers];
        int offset = 0;
        for (int l = 0; l < layers; l++)
        {
            _wOffset[l] = offset;
            offset += _widths[l] * _widths[l + 1];
            _bOffset[l] = offset;
            offset += _widths[l + 1];
        }
        _schedule = new EpochBatchSchedule(data.Rows, batchSize, "batches");
        _batchSize = batchSize;
    }

    public SyntheticDataset Data { get; }
    public override int BatchSize => _batchSize;
    public int Layers => _widths.Length - 1;

    /// <summary>Layer widths [d, h1, …, 1].</summary>
    public IReadOnlyList<int> Widths => _widths;

    /// <summary>Row indices of the minibatch of <paramref name="step"/> (docs/tasks.md decision 7).</summary>
    public int[] BatchRows(Rng rng, long step)
    {
        var rows = new int[_batchSize];
        _schedule.Fill(rng, step, rows);
        return rows;
    }

    private static List<TensorSpec> Specs(SyntheticDataset data, IReadOnlyList<int> hidden)
    {
        ArgumentNullException.ThrowIfNull(data);
        foreach (var h in hidden)
            if (h < 1) throw new ArgumentOutOfRangeException(nameof(hidden), h, "Hidden widths must be >= 1.");
        int[] widths = [data.Features, .. hidden, 1];
        var specs = new List<TensorSpec>();
        for (int l = 0; l + 1 < widths.Length; l++)
        {
            string suffix = hidden.Count == 0 ? "" : l.ToString(System.Globalization.CultureInfo.InvariantCulture);
            specs.Add(new TensorSpec("w" + suffix, [widths[l], widths[l + 1]]));
            specs.Add(new TensorSpec("b" + suffix, [widths[l + 1]]));
        }
        return specs;
    }

    public override double Value(ReadOnlySpan<double> x, Span<double> grad)
    {
        CheckLength(x, nameof(x));
        if (!grad.IsEmpty) CheckLength(grad, nameof(grad));
        return Run(x, null, grad, ReadOnlySpan<double>.Empty, Span<double>.Empty);
    }

    protected internal override double MinibatchValue(ReadOnlySpan<double> x, Span<double> grad, Rng rng, long step)
        => Run(x, BatchRows(rng, step), grad, ReadOnlySpan<double>.Empty, Span<double>.Empty);

    /// <summary>The Hessian of the minibatch loss of <paramref name="step"/> times v.</summary>
    public override void TrainingHvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv, Rng rng, long step)
    {
        CheckLength(x, nameof(x));
        CheckLength(v, nameof(v));
        Run(x, BatchRows(rng, step), Span<double>.Empty, v, hv);
    }

    public override void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
    {
        CheckLength(x, nameof(x));
        CheckLength(v, nameof(v));
        Run(x, null, Span<double>.Empty, v, hv);
    }

    /// <summary>N(0,1)·1.2/√fan with fan = the reference tensor's first dimension (its output bias had 2 units).</summary>
    public override void SampleInitial(Rng rng, Span<double> x)
    {
        for (int l = 0; l < Layers; l++)
        {
            int fanIn = _widths[l], outWidth = _widths[l + 1];
            FillGaussian(rng, x.Slice(_wOffset[l], fanIn * outWidth), 1.2 / Math.Sqrt(fanIn));
            int biasFan = l == Layers - 1 ? 2 : outWidth;
            FillGaussian(rng, x.Slice(_bOffset[l], outWidth), 1.2 / Math.Sqrt(biasFan));
        }
    }

    /// <summary>The input rows of the batch (all rows when <paramref name="rows"/> is null) and their labels.</summary>
    private (double[] X, double[] Y) Gather(int[]? rows)
    {
        if (rows == null) return (Data.X, Data.Labels);
        int d = Data.Features;
        var xs = new double[rows.Length * d];
        var ys = new double[rows.Length];
        for (int r = 0; r < rows.Length; r++)
        {
            Data.X.AsSpan(rows[r] * d, d).CopyTo(xs.AsSpan(r * d, d));
            ys[r] = Data.Labels[rows[r]];
        }
        return (xs, ys);
    }

    // Loss, plus the gradient when grad is non-empty and H·v when v is non-empty (forward-over-reverse).
    private double Run(ReadOnlySpan<double> theta, int[]? rows, Span<double> grad, ReadOnlySpan<double> v, Span<double> hv)
    {
        var (input, labels) = Gather(rows);
        int batch = labels.Length;
        int layers = Layers;
        bool wantGrad = !grad.IsEmpty, wantHvp = !v.IsEmpty;

        // a[l] is the input of layer l (a[0] = X); z[l] its pre-activation; ra/rz their directional derivatives.
        var a = new double[layers + 1][];
        var z = new double[layers][];
        var ra = new double[layers + 1][];
        var rz = new double[layers][];
        a[0] = input;
        ra[0] = new double[input.Length];
        for (int l = 0; l < layers; l++)
        {
            int nIn = _widths[l], nOut = _widths[l + 1];
            var w = theta.Slice(_wOffset[l], nIn * nOut);
            var b = theta.Slice(_bOffset[l], nOut);
            z[l] = Affine(a[l], batch, nIn, nOut, w, b);
            if (wantHvp)
            {
                var rzl = Affine(ra[l], batch, nIn, nOut, w, ReadOnlySpan<double>.Empty);
                var term = Affine(a[l], batch, nIn, nOut, v.Slice(_wOffset[l], nIn * nOut), v.Slice(_bOffset[l], nOut));
                for (int i = 0; i < rzl.Length; i++) rzl[i] += term[i];
                rz[l] = rzl;
            }
            if (l < layers - 1)
            {
                a[l + 1] = new double[z[l].Length];
                for (int i = 0; i < z[l].Length; i++) a[l + 1][i] = Sigmoid(z[l][i]);
                if (wantHvp)
                {
                    ra[l + 1] = new double[z[l].Length];
                    for (int i = 0; i < z[l].Length; i++)
                    {
                        double s = a[l + 1][i];
                        ra[l + 1][i] = s * (1 - s) * rz[l][i];
                    }
                }
            }
        }

        var logits = z[layers - 1];
        double loss = 0;
        for (int r = 0; r < batch; r++)
        {
            double zr = logits[r];
            loss += Math.Max(zr, 0) + Math.Log(1 + Math.Exp(-Math.Abs(zr))) - labels[r] * zr;
        }
        loss /= batch;
        double l2 = 0;
        foreach (var t in theta) l2 += t * t;
        int tensors = 2 * layers;
        loss += L2Scale / tensors * l2;

        if (!wantGrad && !wantHvp) return loss;

        var delta = new double[batch];
        var rdelta = new double[batch];
        for (int r = 0; r < batch; r++)
        {
            double s = Sigmoid(logits[r]);
            delta[r] = (s - labels[r]) / batch;
            if (wantHvp) rdelta[r] = s * (1 - s) * rz[layers - 1][r] / batch;
        }
        for (int l = layers - 1; l >= 0; l--)
        {
            int nIn = _widths[l], nOut = _widths[l + 1];
            if (wantGrad)
            {
                OuterAccumulate(a[l], delta, batch, nIn, nOut, grad.Slice(_wOffset[l], nIn * nOut));
                ColumnSums(delta, batch, nOut, grad.Slice(_bOffset[l], nOut));
            }
            if (wantHvp)
            {
                var hw = hv.Slice(_wOffset[l], nIn * nOut);
                OuterAccumulate(ra[l], delta, batch, nIn, nOut, hw);
                var tmp = new double[nIn * nOut];
                OuterAccumulate(a[l], rdelta, batch, nIn, nOut, tmp);
                for (int i = 0; i < tmp.Length; i++) hw[i] += tmp[i];
                ColumnSums(rdelta, batch, nOut, hv.Slice(_bOffset[l], nOut));
            }
            if (l == 0) break;

            // Back through the sigmoid of layer l−1.
            var w = theta.Slice(_wOffset[l], nIn * nOut);
            var e = BackProject(delta, batch, nIn, nOut, w);
            var prevDelta = new double[batch * nIn];
            var prevR = wantHvp ? new double[batch * nIn] : [];
            var re = wantHvp ? BackProject(rdelta, batch, nIn, nOut, w) : [];
            var ev = wantHvp ? BackProject(delta, batch, nIn, nOut, v.Slice(_wOffset[l], nIn * nOut)) : [];
            var act = a[l];
            for (int i = 0; i < prevDelta.Length; i++)
            {
                double s = act[i], ds = s * (1 - s);
                prevDelta[i] = e[i] * ds;
                if (wantHvp) prevR[i] = (re[i] + ev[i]) * ds + e[i] * ds * (1 - 2 * s) * rz[l - 1][i];
            }
            delta = prevDelta;
            rdelta = prevR;
        }

        double k = 2 * L2Scale / tensors;
        if (wantGrad) for (int i = 0; i < grad.Length; i++) grad[i] += k * theta[i];
        if (wantHvp) for (int i = 0; i < hv.Length; i++) hv[i] += k * v[i];
        return loss;
    }

    private static double Sigmoid(double t) => t >= 0 ? 1 / (1 + Math.Exp(-t)) : Math.Exp(t) / (1 + Math.Exp(t));

    // out[r, o] = Σᵢ a[r, i]·w[i, o] + b[o].
    private static double[] Affine(double[] a, int batch, int nIn, int nOut, ReadOnlySpan<double> w, ReadOnlySpan<double> b)
    {
        var result = new double[batch * nOut];
        for (int r = 0; r < batch; r++)
        {
            var row = result.AsSpan(r * nOut, nOut);
            if (!b.IsEmpty) b.CopyTo(row);
            for (int i = 0; i < nIn; i++)
            {
                double ai = a[r * nIn + i];
                if (ai == 0) continue;
                var wi = w.Slice(i * nOut, nOut);
                for (int o = 0; o < nOut; o++) row[o] += ai * wi[o];
            }
        }
        return result;
    }

    // g[i, o] = Σ_r a[r, i]·d[r, o] (overwrites g).
    private static void OuterAccumulate(double[] a, double[] d, int batch, int nIn, int nOut, Span<double> g)
    {
        g.Clear();
        for (int r = 0; r < batch; r++)
            for (int i = 0; i < nIn; i++)
            {
                double ai = a[r * nIn + i];
                if (ai == 0) continue;
                var gi = g.Slice(i * nOut, nOut);
                for (int o = 0; o < nOut; o++) gi[o] += ai * d[r * nOut + o];
            }
    }

    private static void ColumnSums(double[] d, int batch, int nOut, Span<double> g)
    {
        g.Clear();
        for (int r = 0; r < batch; r++)
            for (int o = 0; o < nOut; o++) g[o] += d[r * nOut + o];
    }

    // e[r, i] = Σ_o d[r, o]·w[i, o].
    private static double[] BackProject(double[] d, int batch, int nIn, int nOut, ReadOnlySpan<double> w)
    {
        var e = new double[batch * nIn];
        for (int r = 0; r < batch; r++)
            for (int i = 0; i < nIn; i++)
            {
                double s = 0;
                var wi = w.Slice(i * nOut, nOut);
                for (int o = 0; o < nOut; o++) s += d[r * nOut + o] * wi[o];
                e[r * nIn + i] = s;
            }
        return e;
    }
}
