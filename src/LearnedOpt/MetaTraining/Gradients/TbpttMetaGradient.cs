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
/// CPU library; a GPU backend's engine); θ, the task and the cells on the host.
/// Memory: the recorded g_t (1 double per coordinate per step, host), one checkpoint (state: 21
/// doubles per coordinate in the engine, θ on the host) every k steps, and while going back one
/// segment's tape of k steps (states in the engine: 21 doubles per coordinate per step; θ, d and a
/// on the host: 3), rebuilt by replaying the segment from its checkpoint with the recorded
/// gradients; replay repeats the same arithmetic, so the result equals the one-tape backward bit for bit.
/// A batch (<see cref="ComputeBatch(HrnnParameters, IReadOnlyList{TbpttProblem}, IReadOnlyList{TbpttOptions}, int, HrnnCoordinateEngine?)"/>)
/// walks its problems in lock-step so that each engine phase of a step is one call (one launch per
/// phase on a GPU) for every tensor of every problem; the memory bound above holds per problem.
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
        ArgumentNullException.ThrowIfNull(w);
        using var batch = Batch.Start(w, [problem], [new TbpttOptions(steps)], engine ?? HrnnCoordinateEngine.Cpu, 1);
        batch.Forward(keep: false);
        return batch.Unrolls[0].Result(HrnnParameters.Zeros(w.H1, w.H2));
    }

    /// <summary>One problem: M, dM/dφ, the losses, θ_T and the state after T steps (engine: default the CPU library).</summary>
    public static TbpttResult Compute(HrnnParameters w, TbpttProblem problem, TbpttOptions options, HrnnCoordinateEngine? engine = null)
        => ComputeBatch(w, [problem], [options], 1, engine)[0];

    /// <summary>
    /// A batch of problems with one set of options (results in input order). See the overload with
    /// options per problem; each result equals <see cref="Compute(HrnnParameters, TbpttProblem, TbpttOptions, HrnnCoordinateEngine?)"/>'s bit for bit.
    /// </summary>
    public static TbpttResult[] ComputeBatch(HrnnParameters w, IReadOnlyList<TbpttProblem> problems, TbpttOptions options, int maxParallelism = -1,
                                             HrnnCoordinateEngine? engine = null)
    {
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(options);
        return ComputeBatch(w, problems, Enumerable.Repeat(options, problems.Count).ToArray(), maxParallelism, engine);
    }

    /// <summary>
    /// A batch of problems walked in lock-step (results in input order; average or weight them as
    /// the meta-update needs). Forward: step t of every problem whose truncation is still running,
    /// with one engine call per phase for every tensor of every such problem. Backward: from the
    /// longest T down, each problem joining the reverse walk at its own T, again one engine call per
    /// phase for all problems at that step; segments are replayed from each problem's own
    /// checkpoints (replays of the problems that start one at the same step run in lock-step too).
    /// The task (oracle, losses, Hessian products) runs per problem on up to
    /// <paramref name="maxParallelism"/> threads. Each problem's arithmetic is exactly its own
    /// <see cref="Compute(HrnnParameters, TbpttProblem, TbpttOptions, HrnnCoordinateEngine?)"/>'s, so results do not depend on the batch or the thread count.
    /// </summary>
    public static TbpttResult[] ComputeBatch(HrnnParameters w, IReadOnlyList<TbpttProblem> problems, IReadOnlyList<TbpttOptions> options,
                                             int maxParallelism = -1, HrnnCoordinateEngine? engine = null)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Count != problems.Count)
            throw new ArgumentException($"{options.Count} options for {problems.Count} problems; give one per problem.", nameof(options));
        if (maxParallelism == 0 || maxParallelism < -1)
            throw new ArgumentOutOfRangeException(nameof(maxParallelism), maxParallelism, "maxParallelism must be -1 (no limit) or >= 1.");
        if (problems.Count == 0) return [];
        using var batch = Batch.Start(w, problems, options, engine ?? HrnnCoordinateEngine.Cpu, maxParallelism);
        return batch.Compute();
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

    // The unrolls of a batch sharing one engine and one placement of the weights; walks them in lock-step.
    private sealed class Batch : IDisposable
    {
        public required Unroll[] Unrolls;
        public required HrnnCoordinateEngine Engine;
        public required HrnnParameters W;
        public required CoordinateWeights Weights;
        public required ParallelOptions Threads;
        public List<(TbpttEngineState State, double[][] Theta)>[] Checkpoints = [];

        public static Batch Start(HrnnParameters w, IReadOnlyList<TbpttProblem> problems, IReadOnlyList<TbpttOptions> options, HrnnCoordinateEngine engine,
                                  int maxParallelism)
        {
            ArgumentNullException.ThrowIfNull(engine);
            var unrolls = new List<Unroll>();
            CoordinateWeights? weights = null;
            try
            {
                for (int p = 0; p < problems.Count; p++)
                {
                    try
                    {
                        unrolls.Add(Unroll.Start(w, problems[p], options[p], engine, p));
                    }
                    catch (ArgumentException e) when (problems.Count > 1)
                    {
                        // Say which problem of the batch is wrong.
                        throw new ArgumentException($"Problem {p} of the batch: {e.Message}", e.ParamName, e);
                    }
                }
                weights = engine.Place(w.CoordinatePack());
                return new Batch
                {
                    Unrolls = unrolls.ToArray(), Engine = engine, W = w, Weights = weights,
                    Threads = new ParallelOptions { MaxDegreeOfParallelism = maxParallelism },
                };
            }
            catch
            {
                foreach (var u in unrolls) u.Dispose();
                weights?.Dispose();
                throw;
            }
        }

        // The unrolls whose truncation covers step t.
        private Unroll[] At(int t) => Unrolls.Where(u => t < u.Steps).ToArray();

        // Runs a per-problem host part (the task) on up to MaxDegreeOfParallelism threads.
        private void Each(Unroll[] us, Action<Unroll> part)
        {
            if (us.Length == 1) part(us[0]);
            else Parallel.ForEach(us, Threads, part);
        }

        /// <summary>The forward of every problem in lock-step; with keep, each takes a checkpoint every K of its steps.</summary>
        public void Forward(bool keep)
        {
            var device = Engine.Device;
            Checkpoints = Unrolls.Select(_ => new List<(TbpttEngineState, double[][])>()).ToArray();
            using (PhaseTimer.Time(UnrollPhase.Task))
                Each(Unrolls, u => u.Losses[0] = u.Problem.Task.Loss(u.Theta, null));
            int longest = Unrolls.Max(u => u.Steps);
            for (int t = 0; t < longest; t++)
            {
                var us = At(t);
                if (keep)
                    foreach (var u in us)
                        if (t % u.K == 0) Checkpoints[u.Index].Add((u.Own(u.Current.Clone()), Copy(u.Theta)));
                using (PhaseTimer.Time(UnrollPhase.Task))
                    Each(us, u =>
                    {
                        u.Gs[t] = u.Lengths.Select(n => new double[n]).ToArray();
                        u.Oracle(t, u.Theta, u.Gs[t]);
                    });
                using (PhaseTimer.Time(UnrollPhase.OptimizerStep, device))
                {
                    TbpttHrnnStep.ForwardBatch(Weights, W, us.Select(u => new TbpttHrnnStep.StepItem(u.Current, u.Next, u.Theta, u.Gs[t])).ToArray());
                    foreach (var u in us) (u.Current, u.Next) = (u.Next, u.Current);
                }
                using (PhaseTimer.Time(UnrollPhase.Task))
                    Each(us, u => u.Losses[t + 1] = u.Problem.Task.Loss(u.Theta, null));
            }
        }

        public TbpttResult[] Compute()
        {
            var device = Engine.Device;
            Forward(keep: true);
            foreach (var u in Unrolls) u.StartBackward();
            // Every problem's last segment is replayed up front, in one lock-step (with one tape,
            // the usual case, that is every replay): problems of different T share those calls.
            using (PhaseTimer.Time(UnrollPhase.OptimizerStep, device))
                Replay(Unrolls, u => u.Steps - 1);
            for (int t = Unrolls.Max(u => u.Steps) - 1; t >= 0; t--)
            {
                var us = At(t);
                // A problem at the last step of an earlier segment rebuilds that segment's tape
                // (the previous segment's tape is no longer needed: its first step was walked at t + 1).
                var replay = us.Where(u => t != u.Steps - 1 && (t + 1) % u.K == 0).ToArray();
                if (replay.Length > 0)
                    using (PhaseTimer.Time(UnrollPhase.OptimizerStep, device))
                        Replay(replay, _ => t);
                // The objective's term for θ_{t+1} (θ₀ does not depend on the weights).
                using (PhaseTimer.Time(UnrollPhase.Task))
                    Each(us, u => u.Problem.Task.Loss(u.Thetas[t + 1 - u.C0], u.FGrad));
                using (PhaseTimer.Time(UnrollPhase.Backward, device))
                {
                    foreach (var u in us)
                    {
                        double scale = LogMetaObjective.TermDerivative(u.Losses[t + 1], u.Problem.InitialLoss) / (u.Steps + 1);
                        for (int q = 0; q < u.Lengths.Length; q++)
                            for (int i = 0; i < u.Lengths[q]; i++) u.ThetaBar[q][i] += scale * u.FGrad[q][i];
                    }
                    TbpttHrnnStep.BackwardBatch(Weights, W, us.Select(u => new TbpttHrnnStep.AdjointItem(
                        u.States[t - u.C0], u.Gs[t], u.Records[t - u.C0], u.Bar, u.ThetaBar, u.GBar, u.Gw)).ToArray());
                }
                // The Jacobian of the gradient fed at step t: the oracle's own when given (minibatch, mask).
                var second = us.Where(u => !u.FirstOrder).ToArray();
                if (second.Length == 0) continue;
                using (PhaseTimer.Time(UnrollPhase.Task))
                    Each(second, u =>
                    {
                        if (u.Problem.TrainingHessian is { } trainingHessian) trainingHessian(t, u.Thetas[t - u.C0], u.GBar, u.Hv);
                        else u.Problem.Task.HessianVectorProduct(u.Thetas[t - u.C0], u.GBar, u.Hv);
                    });
                foreach (var u in second)
                    for (int q = 0; q < u.Lengths.Length; q++)
                        for (int i = 0; i < u.Lengths[q]; i++) u.ThetaBar[q][i] += u.Hv[q][i];
            }
            return Unrolls.Select(u => u.Finish()).ToArray();
        }

        // Rebuilds, for each unroll, the tape of its segment [c0, last] (last: the segment's last step)
        // from the segment's checkpoint with the recorded gradients: the checkpoint, then the states
        // entering steps c0+1 … last in reused slots (the last step's output goes to slot 0), and θ
        // before each step. Lock-step over the step j within the segments.
        private void Replay(Unroll[] us, Func<Unroll, int> last)
        {
            var th = new double[us.Length][][];
            for (int r = 0; r < us.Length; r++)
            {
                var u = us[r];
                int t = last(u), seg = t / u.K, c0 = seg * u.K, len = t + 1 - c0;
                u.C0 = c0;
                u.States = new TbpttEngineState[len];
                u.Records = new TbpttHrnnStep.Record[len];
                u.Thetas = new double[len + 1][][];
                th[r] = Copy(Checkpoints[u.Index][seg].Theta);
                u.States[0] = Checkpoints[u.Index][seg].State;
            }
            int longest = us.Max(u => u.States.Length);
            for (int j = 0; j < longest; j++)
            {
                var live = Enumerable.Range(0, us.Length).Where(r => j < us[r].States.Length).ToArray();
                var items = new TbpttHrnnStep.StepItem[live.Length];
                for (int x = 0; x < live.Length; x++)
                {
                    var u = us[live[x]];
                    int len = u.States.Length;
                    u.Thetas[j] = Copy(th[live[x]]);
                    var next = j + 1 < len ? u.States[j + 1] = u.Slots[j + 1] : u.Slots[0];
                    items[x] = new TbpttHrnnStep.StepItem(u.States[j], next, th[live[x]], u.Gs[u.C0 + j]);
                }
                var recs = TbpttHrnnStep.ForwardBatch(Weights, W, items);
                for (int x = 0; x < live.Length; x++) us[live[x]].Records[j] = recs[x];
            }
            for (int r = 0; r < us.Length; r++) us[r].Thetas[us[r].States.Length] = th[r];
        }

        public void Dispose()
        {
            foreach (var u in Unrolls) u.Dispose();
            Weights.Dispose();
        }
    }

    // One problem of a batch: validated inputs, the running θ (host) and state (engine), the recorded
    // gradients and exact losses; for the backward its adjoints, tape slots and current segment's
    // tape. Owns all its engine memory (states, checkpoints, tape).
    private sealed class Unroll : IDisposable
    {
        private readonly List<IDisposable> _owned = [];

        public required int Index;
        public required HrnnParameters W;
        public required TbpttProblem Problem;
        public required HrnnCoordinateEngine Engine;
        public required int Steps, K;
        public required bool FirstOrder;
        public required int[] Lengths;
        public required bool FromInitial;
        public required double[][] Theta;
        public required GradientOracle Oracle;
        public required double[] Losses;
        public required double[][][] Gs;
        public TbpttEngineState Current = null!, Next = null!;

        // The backward: state adjoint, k tape slots, θ̄, ḡ, ∇F, the Hessian product, dM/dφ; the
        // segment being walked back starts at C0 (States, Records: its tape; Thetas: θ before each step and after the last).
        public TbpttEngineState Bar = null!;
        public TbpttEngineState[] Slots = [];
        public double[][] ThetaBar = [], GBar = [], FGrad = [], Hv = [];
        public HrnnParameters Gw = null!;
        public int C0;
        public TbpttEngineState[] States = [];
        public TbpttHrnnStep.Record[] Records = [];
        public double[][][] Thetas = [];

        public static Unroll Start(HrnnParameters w, TbpttProblem problem, TbpttOptions options, HrnnCoordinateEngine engine, int index)
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
            var state = fromInitial ? TbpttHrnnState.Initial(w, lengths, problem.InitialLogLr) : problem.State0!;
            if (!state.Lengths.SequenceEqual(lengths) || state.H1 != w.H1 || state.H2 != w.H2)
                throw new ArgumentException($"TbpttProblem.State0 does not fit task '{task.Name}' and weights {w.H1}/{w.H2}.", nameof(problem));
            var u = new Unroll
            {
                Index = index, W = w, Problem = problem, Engine = engine, Steps = T,
                K = options.CheckpointEvery == 0 || options.CheckpointEvery >= T ? T : options.CheckpointEvery,
                FirstOrder = options.FirstOrder, Lengths = lengths, FromInitial = fromInitial, Theta = theta,
                Oracle = problem.Oracle ?? ((_, th, grad) => task.Loss(th, grad)),
                Losses = new double[T + 1], Gs = new double[T][][],
            };
            try
            {
                u.Current = u.Own(TbpttEngineState.From(engine, state));
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
        public TbpttEngineState NewState() => Own(TbpttEngineState.Allocate(Engine, Lengths, W.H1, W.H2));

        /// <summary>Allocates the backward's adjoints and tape slots (after the forward: its memory bound is per problem).</summary>
        public void StartBackward()
        {
            Gw = HrnnParameters.Zeros(W.H1, W.H2);
            Bar = NewState();
            Slots = new TbpttEngineState[K];
            for (int j = 0; j < K; j++) Slots[j] = NewState();
            ThetaBar = Lengths.Select(n => new double[n]).ToArray();
            GBar = Lengths.Select(n => new double[n]).ToArray();
            FGrad = Lengths.Select(n => new double[n]).ToArray();
            Hv = Lengths.Select(n => new double[n]).ToArray();
        }

        /// <summary>The result after the reverse walk reached step 0: the h0 tensors' share, then M and the rest.</summary>
        public TbpttResult Finish()
        {
            // The initial state came from the learned h0 tensors.
            if (FromInitial)
            {
                for (int q = 0; q < Lengths.Length; q++)
                {
                    var coords = new double[(long)Lengths[q] * TbpttHrnnState.PerCoordinate];
                    Engine.Download(Bar.Coords[q], coords);
                    for (int i = 0; i < Lengths[q]; i++)
                        for (int j = 0; j < HrnnParameters.H0; j++) Gw.PH0[j] += coords[i * TbpttHrnnState.PerCoordinate + TbpttHrnnState.OffH + j];
                    for (int j = 0; j < W.H1; j++) Gw.TH0[j] += Bar.Sk[q][j];
                }
                for (int j = 0; j < W.H2; j++) Gw.GH0[j] += Bar.G[j];
            }
            return Result(Gw);
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

        public T Own<T>(T item) where T : IDisposable
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
