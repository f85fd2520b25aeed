using LearnedOpt.Cpu;

namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>
/// One full HRNN step over all tensors in float64 (docs/hrnn.md, "One step"), and its adjoint: μ, the
/// top-down biases, the per-coordinate steps, the per-tensor RMS rescale and update, the tensor
/// RNNs on the mean [h, x] and the global RNN on the mean s_k. A tensor with an unusable gradient
/// entry (non-finite or above 1e18, as the production step) keeps its state and θ and is left out
/// of the global mean, so its adjoint is the identity. The per-coordinate math (forward and
/// adjoint, lopt_hrnn_grad.h, float64) runs on an <see cref="HrnnCoordinateEngine"/> (CPU library
/// or GPU kernels), where the per-coordinate states live; the small cells, means and θ here.
/// </summary>
public static class TbpttHrnnStep
{
    private const int H0 = HrnnParameters.H0, F = HrnnParameters.F, G0 = 3 * H0, I1 = H0 + F, PW = HrnnLayout.CoordinateWeights;
    private const double GradientLimit = 1e18;

    /// <summary>
    /// What the adjoint needs besides the old state: the step's derived and per-tensor values
    /// (d and a per coordinate, about 2 doubles per coordinate). Opaque outside this class.
    /// </summary>
    public sealed class Record
    {
        internal Record() { }

        internal double Mu, Lambda;
        internal double[] Epg = [], Etg = [], Gin = [];
        internal double[][] E0 = [], D = [], A = [], In = [], SkOld = [];
        internal double[] Ck = [];
        internal bool[] Updated = [];
        internal int UpdatedCount;
    }

    /// <summary>Whether a gradient tensor can be used (every entry finite and at most 1e18 in magnitude).</summary>
    public static bool Usable(ReadOnlySpan<double> g)
    {
        foreach (var v in g)
            if (!double.IsFinite(v) || Math.Abs(v) > GradientLimit) return false;
        return true;
    }

    /// <summary>One problem's step in a batch: <see cref="Forward"/>'s arguments.</summary>
    internal readonly record struct StepItem(TbpttEngineState Prev, TbpttEngineState Next, double[][] Theta, IReadOnlyList<double[]> G);

    /// <summary>One problem's adjoint step in a batch: <see cref="Backward"/>'s arguments.</summary>
    internal readonly record struct AdjointItem(TbpttEngineState Prev, IReadOnlyList<double[]> G, Record Rec, TbpttEngineState Bar,
                                                IReadOnlyList<double[]> ThetaBar, double[][] GBar, HrnnParameters Gw);

    /// <summary>
    /// One step from <paramref name="prev"/> into <paramref name="next"/> (distinct states of the same
    /// engine) with gradients g; moves <paramref name="theta"/> in place. Returns what
    /// <see cref="Backward"/> needs besides the old state.
    /// </summary>
    internal static Record Forward(CoordinateWeights cw, HrnnParameters w, TbpttEngineState prev, TbpttEngineState next,
                                   double[][] theta, IReadOnlyList<double[]> g)
        => ForwardBatch(cw, w, [new StepItem(prev, next, theta, g)])[0];

    /// <summary>
    /// <see cref="Forward"/> of several problems (states of one engine) at once: each problem's
    /// arithmetic is its own <see cref="Forward"/>'s, but the engine gets one Σℓ call and one
    /// per-coordinate call for every tensor of every problem.
    /// </summary>
    internal static Record[] ForwardBatch(CoordinateWeights cw, HrnnParameters w, IReadOnlyList<StepItem> items)
    {
        ArgumentNullException.ThrowIfNull(cw);
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0) return [];
        var engine = items[0].Prev?.Engine ?? throw new ArgumentException("A step has no state.", nameof(items));
        foreach (var x in items) Check(w, engine, x);
        var ell = engine.EllSums(items.Select(x => (IReadOnlyList<CoordinateTensor>)x.Prev.Coords).ToArray());
        var recs = new Record[items.Count];
        var sums = new double[items.Count][][];
        var jobs = new List<ForwardJob>();
        for (int p = 0; p < items.Count; p++) recs[p] = Begin(w, items[p], ell[p], jobs, out sums[p]);
        engine.ForwardAll(cw, jobs);
        for (int p = 0; p < items.Count; p++) Finish(w, items[p], recs[p], sums[p]);
        return recs;
    }

    /// <summary>
    /// Adjoint of one step from <paramref name="prev"/> with gradients g (<paramref name="rec"/> from
    /// its <see cref="Forward"/>). In: <paramref name="bar"/> holds the adjoint of the new state and is
    /// overwritten with the adjoint of the old state; <paramref name="thetaBar"/> is the adjoint of the
    /// new θ (θ passes through unchanged, so it is also the old θ's share from this step). Out:
    /// <paramref name="gBar"/> (overwritten) and the weight gradients accumulated into <paramref name="gw"/>.
    /// </summary>
    internal static void Backward(CoordinateWeights cw, HrnnParameters w, TbpttEngineState prev, IReadOnlyList<double[]> g, Record rec,
                                  TbpttEngineState bar, IReadOnlyList<double[]> thetaBar, double[][] gBar, HrnnParameters gw)
        => BackwardBatch(cw, w, [new AdjointItem(prev, g, rec, bar, thetaBar, gBar, gw)]);

    /// <summary>
    /// <see cref="Backward"/> of several problems at once: each problem's arithmetic is its own, the
    /// engine gets one per-coordinate call and one ℓ-adjoint call for every tensor of every problem.
    /// </summary>
    internal static void BackwardBatch(CoordinateWeights cw, HrnnParameters w, IReadOnlyList<AdjointItem> items)
    {
        ArgumentNullException.ThrowIfNull(cw);
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0) return;
        var engine = items[0].Prev?.Engine ?? throw new ArgumentException("A step has no state.", nameof(items));
        var pending = new Pending[items.Count];
        var jobs = new List<BackwardJob>();
        for (int p = 0; p < items.Count; p++)
        {
            ArgumentNullException.ThrowIfNull(items[p].Rec, nameof(items));
            if (!ReferenceEquals(items[p].Prev.Engine, engine) || !ReferenceEquals(items[p].Bar.Engine, engine))
                throw new ArgumentException("Every state of a batch must belong to one engine.", nameof(items));
            pending[p] = BeginBackward(w, items[p], jobs);
        }
        engine.BackwardAll(cw, jobs);
        var ell = new List<EllJob>();
        for (int p = 0; p < items.Count; p++) FinishBackward(w, items[p], pending[p], ell);
        engine.AddToEll(ell);
    }

    // The adjoint's values between the host part before the engine call and the one after it.
    private sealed class Pending
    {
        public required double[] GBarOld, EpgBar, EtgBar;
        public required double[][] SBarOld, Accs;
    }

    // The cells' adjoints down to the per-coordinate one; adds the problem's tensors to jobs.
    private static Pending BeginBackward(HrnnParameters w, AdjointItem item, List<BackwardJob> jobs)
    {
        var (prev, g, rec, bar, thetaBar, gBar, gw) = item;
        int k = prev.TensorCount, h1 = w.H1, h2 = w.H2;
        double o = w.O[0];

        // Global RNN on the mean of the updated tensors' new states.
        var gBarOld = new double[h2];
        var sBarNew = bar.Sk.Select(s => (double[])s.Clone()).ToArray();
        if (rec.UpdatedCount > 0)
        {
            var ginBar = new double[h1];
            BiasGru.Backward(rec.Gin, prev.G, w.GWx, w.GWh, w.GB, [], bar.G, ginBar, gBarOld, [], gw.GWx, gw.GWh, gw.GB);
            for (int t = 0; t < k; t++)
                if (rec.Updated[t])
                    for (int j = 0; j < h1; j++) sBarNew[t][j] += ginBar[j] / rec.UpdatedCount;
        }
        else bar.G.CopyTo(gBarOld, 0);

        var epgBar = new double[G0];
        var etgBar = new double[3 * h1];
        // Per tensor: the tensor RNN's adjoint and the update's, on the host; the per-coordinate
        // adjoint goes to the batch's one engine call.
        var sBarOld = new double[k][];
        var accs = new double[k][];
        for (int t = 0; t < k; t++)
        {
            int n = prev.Lengths[t];
            Array.Clear(gBar[t]);
            if (!rec.Updated[t])
            {
                // Identity: the adjoint of the old state is that of the new one.
                sBarNew[t].CopyTo(bar.Sk[t], 0);
                continue;
            }
            var inBar = new double[I1];
            sBarOld[t] = new double[h1];
            BiasGru.Backward(rec.In[t], rec.SkOld[t], w.TWx, w.TWh, w.TB, rec.Etg, sBarNew[t], inBar, sBarOld[t], etgBar, gw.TWx, gw.TWh, gw.TB);

            // θ' = θ − exp(a + o)·c·d and c = (Σd²/n + 1e-16)^(−1/2).
            var d = rec.D[t];
            var a = rec.A[t];
            double c = rec.Ck[t], cBar = 0;
            var dBar = new double[n];
            var aBar = new double[n];
            for (int i = 0; i < n; i++)
            {
                double step = Math.Exp(a[i] + o), tb = thetaBar[t][i];
                aBar[i] = -tb * step * c * d[i];
                gw.O[0] += aBar[i];
                dBar[i] = -tb * step * c;
                cBar += -tb * step * d[i];
            }
            for (int i = 0; i < n; i++) dBar[i] += -cBar * c * c * c * d[i] / n;

            var hAdd = new double[H0];
            var xAdd = new double[F];
            for (int j = 0; j < H0; j++) hAdd[j] = inBar[j] / n;
            for (int j = 0; j < F; j++) xAdd[j] = inBar[H0 + j] / n;
            accs[t] = new double[HrnnLayout.AdjointAccumulators];
            jobs.Add(new BackwardJob(rec.E0[t], g[t] as double[] ?? g[t].ToArray(), prev.Coords[t], bar.Coords[t], xAdd, hAdd, dBar, aBar, gBar[t], accs[t],
                                     rec.Mu, rec.Lambda));
        }
        return new Pending { GBarOld = gBarOld, EpgBar = epgBar, EtgBar = etgBar, SBarOld = sBarOld, Accs = accs };
    }

    // The sums the engine returned, tensor by tensor, then the top-down biases' adjoints; adds the
    // problem's μ adjoint share (one value for all its tensors) to ell.
    private static void FinishBackward(HrnnParameters w, AdjointItem item, Pending pending, List<EllJob> ell)
    {
        var (prev, _, rec, bar, _, _, gw) = item;
        int k = prev.TensorCount;
        double muBar = 0, lambdaBar = 0;
        var (epgBar, sBarOld) = (pending.EpgBar, pending.SBarOld);
        for (int t = 0; t < k; t++)
        {
            if (!rec.Updated[t]) continue;
            var acc = pending.Accs[t];
            gw.AddCoordinateGradient(acc.AsSpan(0, PW));
            var e0Bar = acc.AsSpan(PW, G0);
            muBar += acc[PW + G0];
            lambdaBar += acc[PW + G0 + 1];

            // e0 = s_k·P_pt + p_pt + e_pg.
            AffineBackward(rec.SkOld[t], w.PtW, e0Bar, sBarOld[t], gw.PtW, gw.PtB);
            for (int j = 0; j < G0; j++) epgBar[j] += e0Bar[j];
            sBarOld[t].CopyTo(bar.Sk[t], 0);
        }

        // e_pg = G·P_pg + p_pg, e_tg = G·P_tg + p_tg (both from the old G).
        AffineBackward(prev.G, w.PgW, epgBar, pending.GBarOld, gw.PgW, gw.PgB);
        AffineBackward(prev.G, w.TgW, pending.EtgBar, pending.GBarOld, gw.TgW, gw.TgB);
        pending.GBarOld.CopyTo(bar.G, 0);

        // μ = mean ℓ over every coordinate of every non-empty tensor (skipped ones included).
        long total = prev.Lengths.Sum(n => (long)n);
        if (total > 0)
            foreach (var c in bar.Coords) ell.Add(new EllJob(c, muBar / total));
        // λ = σ(κ).
        gw.Kappa[0] += lambdaBar * rec.Lambda * (1 - rec.Lambda);
    }

    // A forward step's arguments: sizes of the state, the next state, θ and g.
    private static void Check(HrnnParameters w, HrnnCoordinateEngine engine, StepItem item)
    {
        var (st, next, theta, g) = item;
        ArgumentNullException.ThrowIfNull(st);
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(theta);
        ArgumentNullException.ThrowIfNull(g);
        int k = st.TensorCount;
        if (!ReferenceEquals(st.Engine, engine))
            throw new ArgumentException("Every state of a batch must belong to one engine.", nameof(item));
        if (st.Sk[0].Length != w.H1 || st.G.Length != w.H2)
            throw new ArgumentException($"The state has hidden sizes {st.Sk[0].Length}/{st.G.Length}, the weights {w.H1}/{w.H2}.", nameof(item));
        if (ReferenceEquals(st, next) || !ReferenceEquals(next.Engine, engine) || !next.Lengths.SequenceEqual(st.Lengths))
            throw new ArgumentException("The next state must be a distinct state of the same engine and tensor lengths.", nameof(item));
        if (g.Count != k) throw new ArgumentException($"Expected {k} gradient tensors, got {g.Count}.", nameof(item));
        if (theta.Length != k) throw new ArgumentException($"Expected {k} parameter tensors, got {theta.Length}.", nameof(item));
        for (int t = 0; t < k; t++)
        {
            if (g[t] == null || g[t].Length != st.Lengths[t])
                throw new ArgumentException($"Gradient tensor {t} has {g[t]?.Length ?? 0} values, expected {st.Lengths[t]}.", nameof(item));
            if (theta[t] == null || theta[t].Length != st.Lengths[t])
                throw new ArgumentException($"Parameter tensor {t} has {theta[t]?.Length ?? 0} values, expected {st.Lengths[t]}.", nameof(item));
        }
    }

    // The forward step prev → next up to the per-coordinate work: μ from the problem's Σℓ, the
    // top-down biases; skipped tensors copied; the updated ones' jobs added to the batch's list.
    private static Record Begin(HrnnParameters w, StepItem item, double ellSum, List<ForwardJob> jobs, out double[][] sums)
    {
        var (st, next, _, g) = item;
        int k = st.TensorCount, h1 = w.H1;
        var rec = new Record
        {
            Lambda = BiasGru.Sigmoid(w.Kappa[0]),
            E0 = new double[k][], D = new double[k][], A = new double[k][], In = new double[k][],
            SkOld = st.Sk.Select(s => (double[])s.Clone()).ToArray(), Ck = new double[k], Updated = new bool[k],
        };
        long count = st.Lengths.Sum(n => (long)n);
        rec.Mu = count > 0 ? ellSum / count : 0;
        rec.Epg = Affine(st.G, w.PgW, w.PgB, G0);
        rec.Etg = Affine(st.G, w.TgW, w.TgB, 3 * h1);

        sums = new double[k][];
        for (int t = 0; t < k; t++)
        {
            int n = st.Lengths[t];
            if (n == 0 || !Usable(g[t]))
            {
                st.CopyTensorTo(t, next);
                continue;
            }
            rec.Updated[t] = true;
            rec.UpdatedCount++;
            var e0 = Affine(st.Sk[t], w.PtW, w.PtB, G0);
            for (int j = 0; j < G0; j++) e0[j] += rec.Epg[j];
            rec.E0[t] = e0;
            rec.D[t] = new double[n];
            rec.A[t] = new double[n];
            sums[t] = new double[HrnnLayout.ForwardSums];
            jobs.Add(new ForwardJob(e0, g[t] as double[] ?? g[t].ToArray(), st.Coords[t], next.Coords[t], rec.D[t], rec.A[t], sums[t], rec.Mu, rec.Lambda));
        }
        return rec;
    }

    // After the per-coordinate work: the RMS rescale, θ update and tensor RNN, tensor by tensor; the global RNN.
    private static void Finish(HrnnParameters w, StepItem item, Record rec, double[][] sums)
    {
        var (st, next, theta, _) = item;
        int k = st.TensorCount, h1 = w.H1;
        var sMean = new double[h1];
        for (int t = 0; t < k; t++)
        {
            if (!rec.Updated[t]) continue;
            int n = st.Lengths[t];
            var (d, a) = (rec.D[t], rec.A[t]);
            var mean = rec.In[t] = new double[I1];
            for (int j = 0; j < I1; j++) mean[j] = sums[t][1 + j] / n;
            double c = rec.Ck[t] = 1.0 / Math.Sqrt(sums[t][0] / n + 1e-16);
            for (int i = 0; i < n; i++) theta[t][i] -= Math.Exp(a[i] + w.O[0]) * c * d[i];
            BiasGru.Forward(mean, st.Sk[t], w.TWx, w.TWh, w.TB, rec.Etg, next.Sk[t]);
            for (int j = 0; j < h1; j++) sMean[j] += next.Sk[t][j];
        }
        if (rec.UpdatedCount > 0)
        {
            for (int j = 0; j < h1; j++) sMean[j] /= rec.UpdatedCount;
            rec.Gin = sMean;
            BiasGru.Forward(sMean, st.G, w.GWx, w.GWh, w.GB, [], next.G);
        }
        else st.G.CopyTo(next.G, 0);
    }

    private static double[] Affine(double[] x, double[] W, double[] b, int cols)
    {
        var y = (double[])b.Clone();
        for (int i = 0; i < x.Length; i++)
            for (int j = 0; j < cols; j++) y[j] += x[i] * W[i * cols + j];
        return y;
    }

    // Adjoint of y = x·W + b: xBar += W·yBar, gW += x ⊗ yBar, gb += yBar.
    private static void AffineBackward(double[] x, double[] W, ReadOnlySpan<double> yBar, double[] xBar, double[] gW, double[] gb)
    {
        int cols = yBar.Length;
        for (int j = 0; j < cols; j++) gb[j] += yBar[j];
        for (int i = 0; i < x.Length; i++)
        {
            double acc = 0;
            for (int j = 0; j < cols; j++)
            {
                gW[i * cols + j] += x[i] * yBar[j];
                acc += W[i * cols + j] * yBar[j];
            }
            xBar[i] += acc;
        }
    }
}
