using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>
/// Exact meta-gradients through a truncated HRNN unroll (truncated BPTT, float64).
/// Forward: T steps; at step t the oracle's gradient g_t at θ_t is fed to the optimizer (and
/// recorded), and the exact loss F(θ_{t+1}) is evaluated. Backward, from t = T−1 down to 0:
/// θ̄_{t+1} += dM/dF·∇F(θ_{t+1}); the step's adjoint gives the state adjoint and ḡ_t; unless
/// first-order, θ̄_t = θ̄_{t+1} + J_tᵀ·ḡ_t, where J_t is the Jacobian of g_t (the problem's
/// <see cref="TrainingHessianProduct"/>, else the exact loss's Hessian; noise has no derivative).
/// The per-coordinate work and states run on an <see cref="HrnnCoordinateEngine"/> (default: the
/// CPU library; <see cref="CudaCoordinateEngine"/> on a GPU); θ, the task and the cells on the host.
/// Memory: the recorded g_t (1 double per coordinate per step, host), one checkpoint (state: 21
/// doubles per coordinate in the engine, θ on the host) every k steps, and while going back one
/// segment's tape of k steps (states in the engine: 21 doubles per coordinate per step; θ, d and a
/// on the host: 3), rebuilt by replaying the segment from its checkpoint with the recorded
/// gradients; replay repeats the same arithmetic, so the result equals the one-tape backward bit for bit.
/// </summary>
public static class TbpttMetaGradient
{
    /// <summary>The brief's entry point for one problem with float32 weights.</summary>
    public static TbpttResult Compute(HrnnWeights weights, TbpttProblem problem, TbpttOptions options, HrnnCoordinateEngine? engine = null)
        => Compute(HrnnParameters.FromWeights(weights), problem, options, engine);

    /// <summary>
    /// The forward unroll only (no tape): M, the losses, the gradients fed, θ_T and the final state.
    /// The result's <see cref="TbpttResult.Gradient"/> is all zeros. For evaluation and finite differences.
    /// </summary>
    public static TbpttResult Evaluate(HrnnParameters w, TbpttProblem problem, int steps, HrnnCoordinateEngine? engine = null)
    {
        using var u = Unroll.Start(w, problem, new TbpttOptions(steps), engine ?? HrnnCoordinateEngine.Cpu);
        u.Forward(int.MaxValue, keep: false);
        return u.Result(HrnnParameters.Zeros(w.H1, w.H2));
    }

    /// <summary>One problem: M, dM/dφ, the losses, θ_T and the state after T steps (engine: default the CPU library).</summary>
    public static TbpttResult Compute(HrnnParameters w, TbpttProblem problem, TbpttOptions options, HrnnCoordinateEngine? engine = null)
    {
        using var u = Unroll.Start(w, problem, options, engine ?? HrnnCoordinateEngine.Cpu);
        var device = u.Engine.Device;
        int T = options.Steps;
        int k = options.CheckpointEvery == 0 || options.CheckpointEvery >= T ? T : options.CheckpointEvery;
        var checkpoints = u.Forward(k, keep: true);
        var lengths = u.Lengths;
        var task = problem.Task;
        var gs = u.Gs;
        var losses = u.Losses;
        double fInit = problem.InitialLoss;

        // Backward, one segment [c0, c1) at a time, last first. The tape: the segment's checkpoint,
        // then the states entering steps c0+1 … c1−1 in reused slots; the last step's output goes to slot 0.
        var gw = HrnnParameters.Zeros(w.H1, w.H2);
        var bar = u.NewState();
        var slots = new EngineUnrollState[k];
        for (int j = 0; j < k; j++) slots[j] = u.NewState();
        var thetaBar = lengths.Select(n => new double[n]).ToArray();
        var gBar = lengths.Select(n => new double[n]).ToArray();
        var fGrad = lengths.Select(n => new double[n]).ToArray();
        var hv = lengths.Select(n => new double[n]).ToArray();
        for (int seg = checkpoints.Count - 1; seg >= 0; seg--)
        {
            int c0 = seg * k, c1 = Math.Min(T, c0 + k);
            var states = new EngineUnrollState[c1 - c0];
            var records = new HrnnUnrollStep.Record[c1 - c0];
            var thetas = new double[c1 - c0 + 1][][];
            var th = Copy(checkpoints[seg].Theta);
            using (PhaseTimer.Time(UnrollPhase.OptimizerStep, device))
            {
                states[0] = checkpoints[seg].State;
                for (int t = c0; t < c1; t++)
                {
                    int j = t - c0;
                    thetas[j] = Copy(th);
                    var next = j + 1 < c1 - c0 ? states[j + 1] = slots[j + 1] : slots[0];
                    records[j] = HrnnUnrollStep.Forward(u.Weights, w, states[j], next, th, gs[t]);
                }
            }
            thetas[c1 - c0] = th;
            for (int t = c1 - 1; t >= c0; t--)
            {
                // The objective's term for θ_{t+1} (θ₀ does not depend on the weights).
                using (PhaseTimer.Time(UnrollPhase.Task))
                    task.Loss(thetas[t + 1 - c0], fGrad);
                using (PhaseTimer.Time(UnrollPhase.Backward, device))
                {
                    double scale = LogMetaObjective.TermDerivative(losses[t + 1], fInit) / (T + 1);
                    for (int q = 0; q < lengths.Length; q++)
                        for (int i = 0; i < lengths[q]; i++) thetaBar[q][i] += scale * fGrad[q][i];
                    HrnnUnrollStep.Backward(u.Weights, w, states[t - c0], gs[t], records[t - c0], bar, thetaBar, gBar, gw);
                }
                if (!options.FirstOrder)
                {
                    // The Jacobian of the gradient fed at step t: the oracle's own when given (minibatch, mask).
                    using (PhaseTimer.Time(UnrollPhase.Task))
                    {
                        if (problem.TrainingHessian is { } trainingHessian) trainingHessian(t, thetas[t - c0], gBar, hv);
                        else task.HessianVectorProduct(thetas[t - c0], gBar, hv);
                    }
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
                var coords = new double[(long)lengths[q] * HrnnUnrollState.PerCoordinate];
                u.Engine.Download(bar.Coords[q], coords);
                for (int i = 0; i < lengths[q]; i++)
                    for (int j = 0; j < HrnnParameters.H0; j++) gw.PH0[j] += coords[i * HrnnUnrollState.PerCoordinate + HrnnUnrollState.OffH + j];
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
    public static TbpttResult[] ComputeBatch(HrnnParameters w, IReadOnlyList<TbpttProblem> problems, TbpttOptions options, int maxParallelism = -1,
                                             HrnnCoordinateEngine? engine = null)
    {
        ArgumentNullException.ThrowIfNull(problems);
        engine ??= HrnnCoordinateEngine.Cpu;
        var results = new TbpttResult[problems.Count];
        Parallel.For(0, problems.Count, new ParallelOptions { MaxDegreeOfParallelism = engine.IsThreadSafe ? maxParallelism : 1 },
            i => results[i] = Compute(w, problems[i], options, engine));
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

    // The forward unroll of one problem: validated inputs, the running θ (host) and state (engine),
    // the recorded gradients and the exact losses. Owns all its engine memory (states, checkpoints, tape).
    private sealed class Unroll : IDisposable
    {
        private readonly List<IDisposable> _owned = [];

        public required HrnnParameters W;
        public required TbpttProblem Problem;
        public required HrnnCoordinateEngine Engine;
        public required int Steps;
        public required int[] Lengths;
        public required bool FromInitial;
        public required double[][] Theta;
        public required GradientOracle Oracle;
        public required double[] Losses;
        public required double[][][] Gs;
        public CoordinateWeights Weights = null!;
        public EngineUnrollState Current = null!, Next = null!;

        public static Unroll Start(HrnnParameters w, TbpttProblem problem, TbpttOptions options, HrnnCoordinateEngine engine)
        {
            ArgumentNullException.ThrowIfNull(w);
            ArgumentNullException.ThrowIfNull(problem);
            ArgumentNullException.ThrowIfNull(options);
            ArgumentNullException.ThrowIfNull(engine);
            var task = problem.Task ?? throw new ArgumentException("The problem has no task.", nameof(problem));
            int T = options.Steps;
            if (T < 1) throw new ArgumentOutOfRangeException(nameof(options), T, "TbpttOptions.Steps must be >= 1.");
            if (options.CheckpointEvery < 0) throw new ArgumentOutOfRangeException(nameof(options), options.CheckpointEvery, "TbpttOptions.CheckpointEvery must be >= 0.");
            if (!double.IsFinite(problem.InitialLoss) || problem.InitialLoss < 0)
                throw new ArgumentOutOfRangeException(nameof(problem), problem.InitialLoss, "TbpttProblem.InitialLoss must be finite and >= 0.");
            int[] lengths = task.Parameters.Select(p => checked((int)p.Length)).ToArray();
            var theta = CheckTheta(problem.Theta0, lengths, task.Name);
            bool fromInitial = problem.State0 == null;
            var state = fromInitial ? HrnnUnrollState.Initial(w, lengths, problem.InitialLogLr) : problem.State0!;
            if (!state.Lengths.SequenceEqual(lengths) || state.H1 != w.H1 || state.H2 != w.H2)
                throw new ArgumentException($"TbpttProblem.State0 does not fit task '{task.Name}' and weights {w.H1}/{w.H2}.", nameof(problem));
            var u = new Unroll
            {
                W = w, Problem = problem, Engine = engine, Steps = T, Lengths = lengths, FromInitial = fromInitial, Theta = theta,
                Oracle = problem.Oracle ?? ((_, th, grad) => task.Loss(th, grad)),
                Losses = new double[T + 1], Gs = new double[T][][],
            };
            try
            {
                u.Weights = u.Own(engine.Place(w.CoordinatePack()));
                u.Current = u.Own(EngineUnrollState.From(engine, state));
                u.Next = u.NewState();
            }
            catch
            {
                u.Dispose();
                throw;
            }
            return u;
        }

        /// <summary>A zeroed state in the engine, released with the unroll.</summary>
        public EngineUnrollState NewState() => Own(EngineUnrollState.Allocate(Engine, Lengths, W.H1, W.H2));

        // Runs the T steps; with keep, returns a checkpoint (state, θ) taken every k steps.
        public List<(EngineUnrollState State, double[][] Theta)> Forward(int k, bool keep)
        {
            var checkpoints = new List<(EngineUnrollState State, double[][] Theta)>();
            var task = Problem.Task;
            var device = Engine.Device;
            using (PhaseTimer.Time(UnrollPhase.Task))
                Losses[0] = task.Loss(Theta, null);
            for (int t = 0; t < Steps; t++)
            {
                if (keep && t % k == 0) checkpoints.Add((Own(Current.Clone()), Copy(Theta)));
                Gs[t] = Lengths.Select(n => new double[n]).ToArray();
                using (PhaseTimer.Time(UnrollPhase.Task))
                    Oracle(t, Theta, Gs[t]);
                using (PhaseTimer.Time(UnrollPhase.OptimizerStep, device))
                {
                    HrnnUnrollStep.Forward(Weights, W, Current, Next, Theta, Gs[t]);
                    (Current, Next) = (Next, Current);
                }
                using (PhaseTimer.Time(UnrollPhase.Task))
                    Losses[t + 1] = task.Loss(Theta, null);
            }
            return checkpoints;
        }

        public TbpttResult Result(HrnnParameters gradient) => new()
        {
            MetaLoss = LogMetaObjective.Value(Losses, Problem.InitialLoss), Gradient = gradient, Losses = Losses,
            InnerGradients = Gs, FinalTheta = Theta, FinalState = Current.ToHost(),
        };

        public void Dispose()
        {
            foreach (var o in _owned) o.Dispose();
            _owned.Clear();
        }

        private T Own<T>(T item) where T : IDisposable
        {
            _owned.Add(item);
            return item;
        }
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
