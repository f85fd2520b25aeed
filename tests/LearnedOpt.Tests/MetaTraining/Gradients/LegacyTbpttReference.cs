// A frozen copy of the TBPTT unroll as it was before the per-coordinate engine seam (HrnnUnrollStep
// and TbpttMetaGradient at commit 437beb8), kept only so that a test can check the seam with the
// CPU engine reproduces it bit for bit. Do not edit: it is the reference, not code under test.
#pragma warning disable
using LearnedOpt.Interop;
using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Tests.MetaTraining.Gradients;


/// <summary>
/// One full HRNN step over all tensors in float64 (docs/hrnn.md, "One step"), and its adjoint: μ, the
/// top-down biases, the per-coordinate steps, the per-tensor RMS rescale and update, the tensor
/// RNNs on the mean [h, x] and the global RNN on the mean s_k. A tensor with an unusable gradient
/// entry (non-finite or above 1e18, as the production step) keeps its state and θ and is left out
/// of the global mean, so its adjoint is the identity. The per-coordinate math (forward and
/// adjoint) runs in the CPU library (lopt_hrnn_grad.h, float64); the small cells and means here.
/// </summary>
internal static unsafe class LegacyHrnnUnrollStep
{
    private const int H0 = HrnnParameters.H0, F = HrnnParameters.F, G0 = 3 * H0, I1 = H0 + F, PW = LoptHrnnGradNative.CoordWeights;
    private const double GradientLimit = 1e18;

    /// <summary>
    /// What the adjoint needs besides the old state: the step's derived and per-tensor values
    /// (d and a per coordinate, about 2 doubles per coordinate). Opaque outside this class.
    /// </summary>
    public sealed class Record
    {
        internal Record() { }

        internal double Mu, Lambda;
        internal double[] Pack = [];
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

    /// <summary>
    /// One step: advances <paramref name="state"/> and <paramref name="theta"/> in place with
    /// gradients g; returns what <see cref="Backward"/> needs besides the old state.
    /// </summary>
    public static Record Forward(HrnnParameters w, HrnnUnrollState state, double[][] theta, IReadOnlyList<double[]> g)
        => Run(w, state, theta, g);

    /// <summary>
    /// Adjoint of one step from <paramref name="prev"/> with gradients g (<paramref name="rec"/> from
    /// its <see cref="Forward"/>, or null to recompute it). In: <paramref name="bar"/>
    /// holds the adjoint of the new state and is overwritten with the adjoint of the old state;
    /// <paramref name="thetaBar"/> is the adjoint of the new θ (θ passes through unchanged, so it is
    /// also the old θ's share from this step). Out: <paramref name="gBar"/> (overwritten) and the weight
    /// gradients accumulated into <paramref name="gw"/>.
    /// </summary>
    public static void Backward(HrnnParameters w, HrnnUnrollState prev, IReadOnlyList<double[]> g, Record? rec, HrnnUnrollState bar,
                                IReadOnlyList<double[]> thetaBar, double[][] gBar, HrnnParameters gw)
    {
        rec ??= Run(w, prev.Clone(), null, g);
        int k = prev.TensorCount, h1 = w.H1, h2 = w.H2;
        double o = w.O[0], muBar = 0, lambdaBar = 0;

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
            var sBarOld = new double[h1];
            BiasGru.Backward(rec.In[t], rec.SkOld[t], w.TWx, w.TWh, w.TB, rec.Etg, sBarNew[t], inBar, sBarOld, etgBar, gw.TWx, gw.TWh, gw.TB);

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
            var acc = new double[LoptHrnnGradNative.Accumulators];
            fixed (double* pw = rec.Pack, e0 = rec.E0[t], gp = g[t], inp = prev.Coords[t], nb = bar.Coords[t], xa = xAdd, ha = hAdd,
                   db = dBar, ab = aBar, gb = gBar[t], ac = acc)
                LoptCpuNative.Check(LoptHrnnGradNative.lopt_hrnn_grad_backward_f64(pw, e0, rec.Mu, rec.Lambda, gp, inp, nb, xa, ha, db, ab, nb, gb, ac, n),
                    "lopt_hrnn_grad_backward_f64");
            gw.AddCoordinateGradient(acc.AsSpan(0, PW));
            var e0Bar = acc.AsSpan(PW, G0);
            muBar += acc[PW + G0];
            lambdaBar += acc[PW + G0 + 1];

            // e0 = s_k·P_pt + p_pt + e_pg.
            AffineBackward(rec.SkOld[t], w.PtW, e0Bar, sBarOld, gw.PtW, gw.PtB);
            for (int j = 0; j < G0; j++) epgBar[j] += e0Bar[j];
            sBarOld.CopyTo(bar.Sk[t], 0);
        }

        // e_pg = G·P_pg + p_pg, e_tg = G·P_tg + p_tg (both from the old G).
        AffineBackward(prev.G, w.PgW, epgBar, gBarOld, gw.PgW, gw.PgB);
        AffineBackward(prev.G, w.TgW, etgBar, gBarOld, gw.TgW, gw.TgB);
        gBarOld.CopyTo(bar.G, 0);

        // μ = mean ℓ over every coordinate of every non-empty tensor (skipped ones included).
        long total = prev.Lengths.Sum(n => (long)n);
        if (total > 0)
            for (int t = 0; t < k; t++)
                for (int i = 0; i < prev.Lengths[t]; i++) bar.Coords[t][i * HrnnUnrollState.PerCoordinate + HrnnUnrollState.OffEll] += muBar / total;
        // λ = σ(κ).
        gw.Kappa[0] += lambdaBar * rec.Lambda * (1 - rec.Lambda);
    }

    // The forward step; theta == null leaves θ alone (the adjoint's recomputation).
    private static Record Run(HrnnParameters w, HrnnUnrollState st, double[][]? theta, IReadOnlyList<double[]> g)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(st);
        ArgumentNullException.ThrowIfNull(g);
        int k = st.TensorCount, h1 = w.H1, h2 = w.H2;
        if (st.H1 != h1 || st.H2 != h2)
            throw new ArgumentException($"The state has hidden sizes {st.H1}/{st.H2}, the weights {h1}/{h2}.", nameof(st));
        if (g.Count != k) throw new ArgumentException($"Expected {k} gradient tensors, got {g.Count}.", nameof(g));
        for (int t = 0; t < k; t++)
        {
            if (g[t] == null || g[t].Length != st.Lengths[t])
                throw new ArgumentException($"Gradient tensor {t} has {g[t]?.Length ?? 0} values, expected {st.Lengths[t]}.", nameof(g));
            if (theta != null && (theta[t] == null || theta[t].Length != st.Lengths[t]))
                throw new ArgumentException($"Parameter tensor {t} has {theta[t]?.Length ?? 0} values, expected {st.Lengths[t]}.", nameof(theta));
        }

        var rec = new Record
        {
            Lambda = BiasGru.Sigmoid(w.Kappa[0]), Pack = w.CoordinatePack(),
            E0 = new double[k][], D = new double[k][], A = new double[k][], In = new double[k][],
            SkOld = st.Sk.Select(s => (double[])s.Clone()).ToArray(), Ck = new double[k], Updated = new bool[k],
        };
        double ellSum = 0;
        long count = 0;
        for (int t = 0; t < k; t++)
        {
            for (int i = 0; i < st.Lengths[t]; i++) ellSum += st.Ell(t, i);
            count += st.Lengths[t];
        }
        rec.Mu = count > 0 ? ellSum / count : 0;
        rec.Epg = Affine(st.G, w.PgW, w.PgB, G0);
        rec.Etg = Affine(st.G, w.TgW, w.TgB, 3 * h1);

        var sMean = new double[h1];
        var sums = new double[LoptHrnnGradNative.Sums];
        for (int t = 0; t < k; t++)
        {
            int n = st.Lengths[t];
            if (n == 0 || !Usable(g[t])) continue;
            rec.Updated[t] = true;
            rec.UpdatedCount++;
            var e0 = Affine(st.Sk[t], w.PtW, w.PtB, G0);
            for (int j = 0; j < G0; j++) e0[j] += rec.Epg[j];
            rec.E0[t] = e0;
            var d = rec.D[t] = new double[n];
            var a = rec.A[t] = new double[n];
            var next = new double[st.Coords[t].Length];
            fixed (double* pw = rec.Pack, e0p = e0, gp = g[t], inp = st.Coords[t], outp = next, dp = d, ap = a, sp = sums)
                LoptCpuNative.Check(LoptHrnnGradNative.lopt_hrnn_grad_forward_f64(pw, e0p, rec.Mu, rec.Lambda, gp, inp, outp, dp, ap, sp, n),
                    "lopt_hrnn_grad_forward_f64");
            next.CopyTo(st.Coords[t], 0);
            var mean = rec.In[t] = new double[I1];
            for (int j = 0; j < I1; j++) mean[j] = sums[1 + j] / n;
            double c = rec.Ck[t] = 1.0 / Math.Sqrt(sums[0] / n + 1e-16);
            if (theta != null)
                for (int i = 0; i < n; i++) theta[t][i] -= Math.Exp(a[i] + w.O[0]) * c * d[i];
            var sNew = new double[h1];
            BiasGru.Forward(mean, st.Sk[t], w.TWx, w.TWh, w.TB, rec.Etg, sNew);
            sNew.CopyTo(st.Sk[t], 0);
            for (int j = 0; j < h1; j++) sMean[j] += sNew[j];
        }
        if (rec.UpdatedCount > 0)
        {
            for (int j = 0; j < h1; j++) sMean[j] /= rec.UpdatedCount;
            rec.Gin = sMean;
            var gNew = new double[h2];
            BiasGru.Forward(sMean, st.G, w.GWx, w.GWh, w.GB, [], gNew);
            gNew.CopyTo(st.G, 0);
        }
        return rec;
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

/// <summary>
/// Exact meta-gradients through a truncated HRNN unroll (truncated BPTT, float64, CPU).
/// Forward: T steps; at step t the oracle's gradient g_t at θ_t is fed to the optimizer (and
/// recorded), and the exact loss F(θ_{t+1}) is evaluated. Backward, from t = T−1 down to 0:
/// θ̄_{t+1} += dM/dF·∇F(θ_{t+1}); the step's adjoint gives the state adjoint and ḡ_t; unless
/// first-order, θ̄_t = θ̄_{t+1} + ∇²F(θ_t)·ḡ_t (the noise of g_t has no derivative).
/// Memory: the recorded g_t (1 double per coordinate per step), one checkpoint (state and θ, 22
/// doubles per coordinate) every k steps, and while going back one segment's tape of k steps
/// (state, θ, d and a: 24 doubles per coordinate per step), rebuilt by replaying the segment
/// from its checkpoint with the recorded gradients; replay repeats the same arithmetic, so the
/// result equals the one-tape backward bit for bit.
/// </summary>
internal static class LegacyTbpttMetaGradient
{
    /// <summary>The brief's entry point for one problem with float32 weights.</summary>
    public static TbpttResult Compute(HrnnWeights weights, TbpttProblem problem, TbpttOptions options)
        => Compute(HrnnParameters.FromWeights(weights), problem, options);

    /// <summary>
    /// The forward unroll only (no tape): M, the losses, the gradients fed, θ_T and the final state.
    /// The result's <see cref="TbpttResult.Gradient"/> is all zeros. For evaluation and finite differences.
    /// </summary>
    public static TbpttResult Evaluate(HrnnParameters w, TbpttProblem problem, int steps)
    {
        var u = Unroll.Start(w, problem, new TbpttOptions(steps));
        u.Forward(int.MaxValue);
        return u.Result(HrnnParameters.Zeros(w.H1, w.H2));
    }

    /// <summary>One problem: M, dM/dφ, the losses, θ_T and the state after T steps.</summary>
    public static TbpttResult Compute(HrnnParameters w, TbpttProblem problem, TbpttOptions options)
    {
        var u = Unroll.Start(w, problem, options);
        int T = options.Steps;
        int k = options.CheckpointEvery == 0 || options.CheckpointEvery >= T ? T : options.CheckpointEvery;
        var checkpoints = u.Forward(k);
        var lengths = u.Lengths;
        var task = problem.Task;
        var gs = u.Gs;
        var losses = u.Losses;
        double fInit = problem.InitialLoss;

        // Backward, one segment [c0, c1) at a time, last first.
        var gw = HrnnParameters.Zeros(w.H1, w.H2);
        var bar = new HrnnUnrollState(lengths, w.H1, w.H2);
        var thetaBar = lengths.Select(n => new double[n]).ToArray();
        var gBar = lengths.Select(n => new double[n]).ToArray();
        var fGrad = lengths.Select(n => new double[n]).ToArray();
        var hv = lengths.Select(n => new double[n]).ToArray();
        for (int seg = checkpoints.Count - 1; seg >= 0; seg--)
        {
            int c0 = seg * k, c1 = Math.Min(T, c0 + k);
            var states = new HrnnUnrollState[c1 - c0];
            var records = new LegacyHrnnUnrollStep.Record[c1 - c0];
            var thetas = new double[c1 - c0 + 1][][];
            var st = checkpoints[seg].State.Clone();
            var th = Copy(checkpoints[seg].Theta);
            for (int t = c0; t < c1; t++)
            {
                states[t - c0] = st.Clone();
                thetas[t - c0] = Copy(th);
                records[t - c0] = LegacyHrnnUnrollStep.Forward(w, st, th, gs[t]);
            }
            thetas[c1 - c0] = th;
            for (int t = c1 - 1; t >= c0; t--)
            {
                // The objective's term for θ_{t+1} (θ₀ does not depend on the weights).
                task.Loss(thetas[t + 1 - c0], fGrad);
                double scale = LogMetaObjective.TermDerivative(losses[t + 1], fInit) / (T + 1);
                for (int q = 0; q < lengths.Length; q++)
                    for (int i = 0; i < lengths[q]; i++) thetaBar[q][i] += scale * fGrad[q][i];
                LegacyHrnnUnrollStep.Backward(w, states[t - c0], gs[t], records[t - c0], bar, thetaBar, gBar, gw);
                if (!options.FirstOrder)
                {
                    task.HessianVectorProduct(thetas[t - c0], gBar, hv);
                    for (int q = 0; q < lengths.Length; q++)
                        for (int i = 0; i < lengths[q]; i++) thetaBar[q][i] += hv[q][i];
                }
            }
        }

        // The initial state came from the learned h0 tensors.
        if (u.FromInitial)
        {
            for (int q = 0; q < lengths.Length; q++)
            {
                for (int i = 0; i < lengths[q]; i++)
                    for (int j = 0; j < HrnnParameters.H0; j++) gw.PH0[j] += bar.H(q, i, j);
                for (int j = 0; j < w.H1; j++) gw.TH0[j] += bar.Sk[q][j];
            }
            for (int j = 0; j < w.H2; j++) gw.GH0[j] += bar.G[j];
        }

        return u.Result(gw);
    }

    /// <summary>
    /// A batch of problems, each with its own state, run in parallel (results in input order;
    /// each is independent of the thread count). Average or weight them as the meta-update needs.
    /// </summary>
    public static TbpttResult[] ComputeBatch(HrnnParameters w, IReadOnlyList<TbpttProblem> problems, TbpttOptions options, int maxParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var results = new TbpttResult[problems.Count];
        Parallel.For(0, problems.Count, new ParallelOptions { MaxDegreeOfParallelism = maxParallelism },
            i => results[i] = Compute(w, problems[i], options));
        return results;
    }

    /// <summary>The mean meta-loss and mean gradient of a batch.</summary>
    public static (double MetaLoss, HrnnParameters Gradient) Mean(IReadOnlyList<TbpttResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (results.Count == 0) throw new ArgumentException("Need at least one result.", nameof(results));
        var g = HrnnParameters.Zeros(results[0].Gradient.H1, results[0].Gradient.H2);
        foreach (var r in results) g.Add(r.Gradient, 1.0 / results.Count);
        return (results.Average(r => r.MetaLoss), g);
    }

    // The forward unroll of one problem: validated inputs, the running θ and state, the recorded
    // gradients and the exact losses.
    private sealed class Unroll
    {
        public required HrnnParameters W;
        public required TbpttProblem Problem;
        public required int Steps;
        public required int[] Lengths;
        public required bool FromInitial;
        public required double[][] Theta;
        public required HrnnUnrollState State;
        public required GradientOracle Oracle;
        public required double[] Losses;
        public required double[][][] Gs;

        public static Unroll Start(HrnnParameters w, TbpttProblem problem, TbpttOptions options)
        {
            ArgumentNullException.ThrowIfNull(w);
            ArgumentNullException.ThrowIfNull(problem);
            ArgumentNullException.ThrowIfNull(options);
            var task = problem.Task ?? throw new ArgumentException("The problem has no task.", nameof(problem));
            int T = options.Steps;
            if (T < 1) throw new ArgumentOutOfRangeException(nameof(options), T, "TbpttOptions.Steps must be >= 1.");
            if (options.CheckpointEvery < 0) throw new ArgumentOutOfRangeException(nameof(options), options.CheckpointEvery, "TbpttOptions.CheckpointEvery must be >= 0.");
            if (!double.IsFinite(problem.InitialLoss) || problem.InitialLoss < 0)
                throw new ArgumentOutOfRangeException(nameof(problem), problem.InitialLoss, "TbpttProblem.InitialLoss must be finite and >= 0.");
            int[] lengths = task.Parameters.Select(p => checked((int)p.Length)).ToArray();
            var theta = CheckTheta(problem.Theta0, lengths, task.Name);
            bool fromInitial = problem.State0 == null;
            var state = fromInitial ? HrnnUnrollState.Initial(w, lengths, problem.InitialLogLr) : problem.State0!.Clone();
            if (!state.Lengths.SequenceEqual(lengths) || state.H1 != w.H1 || state.H2 != w.H2)
                throw new ArgumentException($"TbpttProblem.State0 does not fit task '{task.Name}' and weights {w.H1}/{w.H2}.", nameof(problem));
            return new Unroll
            {
                W = w, Problem = problem, Steps = T, Lengths = lengths, FromInitial = fromInitial, Theta = theta, State = state,
                Oracle = problem.Oracle ?? ((_, th, grad) => task.Loss(th, grad)),
                Losses = new double[T + 1], Gs = new double[T][][],
            };
        }

        // Runs the T steps; returns a checkpoint (state, θ) taken every k steps.
        public List<(HrnnUnrollState State, double[][] Theta)> Forward(int k)
        {
            var checkpoints = new List<(HrnnUnrollState State, double[][] Theta)>();
            Losses[0] = Problem.Task.Loss(Theta, null);
            for (int t = 0; t < Steps; t++)
            {
                if (t % k == 0) checkpoints.Add((State.Clone(), Copy(Theta)));
                Gs[t] = Lengths.Select(n => new double[n]).ToArray();
                Oracle(t, Theta, Gs[t]);
                LegacyHrnnUnrollStep.Forward(W, State, Theta, Gs[t]);
                Losses[t + 1] = Problem.Task.Loss(Theta, null);
            }
            return checkpoints;
        }

        public TbpttResult Result(HrnnParameters gradient) => new()
        {
            MetaLoss = LogMetaObjective.Value(Losses, Problem.InitialLoss), Gradient = gradient, Losses = Losses,
            InnerGradients = Gs, FinalTheta = Theta, FinalState = State,
        };
    }

    private static double[][] CheckTheta(double[][] theta0, int[] lengths, string task)
    {
        ArgumentNullException.ThrowIfNull(theta0);
        if (theta0.Length != lengths.Length)
            throw new ArgumentException($"TbpttProblem.Theta0 has {theta0.Length} tensors; task '{task}' has {lengths.Length}.", nameof(theta0));
        for (int q = 0; q < lengths.Length; q++)
            if (theta0[q] == null || theta0[q].Length != lengths[q])
                throw new ArgumentException($"TbpttProblem.Theta0[{q}] has {theta0[q]?.Length ?? 0} values; task '{task}' expects {lengths[q]}.", nameof(theta0));
        return Copy(theta0);
    }

    private static double[][] Copy(double[][] a) => a.Select(x => (double[])x.Clone()).ToArray();
}
