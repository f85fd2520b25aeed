using LearnedOpt.Backends;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.MetaTraining.Batched;

/// <summary>
/// The production environment run batched on a backend (CPU library or CUDA): the episodic
/// bookkeeping, truncation plan, F_init and checkpoint state are those of
/// <see cref="PerSlotUnrollEnvironment"/> (it is held inside), but the trajectories of a
/// meta-iteration advance in lock-step: per inner step one batched problem evaluation per
/// distinct ensemble entry (per entry and start step where a problem's training step depends on
/// the step) and one grouped HRNN step (<see cref="GroupedHrnnStep"/>, one group per trajectory
/// with its own φ). Trajectories whose truncation is over are masked out of the step. Problems
/// run in float32 on the backend (the per-slot path widens θ to float64), so the two paths agree to
/// float32 rounding, not bit for bit; on the CPU backend a batched run is itself reproducible
/// bit for bit (checkpoint resume included). Carried states use the per-slot layout [θ | state].
/// Each call allocates its own buffers; on CUDA, calls share the backend's stream, so the
/// estimators make one <see cref="UnrollMany"/> call per meta-iteration rather than concurrent ones.
/// </summary>
public sealed class BatchedUnrollEnvironment : IBatchedUnrollEnvironment
{
    private readonly PerSlotUnrollEnvironment _episodes;
    private readonly HrnnParameterVector _vector;
    private readonly IBackend _backend;
    private readonly double _cap;
    private readonly ulong _entriesFingerprint;

    /// <param name="sampler">The ensemble restricted to entries with a batched problem on <paramref name="backend"/> (<see cref="Restrict"/>).</param>
    public BatchedUnrollEnvironment(MetaTrainingConfig config, EnsembleSampler sampler, HrnnParameterVector vector, IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(config);
        _vector = vector ?? throw new ArgumentNullException(nameof(vector));
        _backend = backend ?? throw new ArgumentNullException(nameof(backend));
        _episodes = new PerSlotUnrollEnvironment(config, sampler, vector, backend);
        _cap = config.MaxPointLoss;
        _entriesFingerprint = Fingerprint(sampler.Entries.Select(e => e.Name));
    }

    /// <summary>
    /// The entries of <paramref name="sampler"/> that <see cref="BatchedProblems.TryCreate"/> supports on
    /// <paramref name="backend"/>, and the names of those left out. ArgumentException when none is left.
    /// </summary>
    public static (EnsembleSampler Sampler, IReadOnlyList<string> LeftOut) Restrict(EnsembleSampler sampler, IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(backend);
        var leftOut = new List<string>();
        var kept = sampler.Where(e =>
        {
            // Support depends on the family and shape only; any instance seed answers for the entry.
            using var p = BatchedProblems.TryCreate(backend, [e.Build(1)], [1UL]);
            if (p == null) leftOut.Add(e.Name);
            return p != null;
        }, $"has a batched problem on the {backend.Kind} backend");
        return (kept, leftOut);
    }

    public int Slots => _episodes.Slots;
    public int MetaParameterCount => _episodes.MetaParameterCount;
    public long EpisodesStarted => _episodes.EpisodesStarted;

    public Truncation[] NextTruncations() => _episodes.NextTruncations();

    public InnerState InitialState(int slot) => _episodes.InitialState(slot);

    public double[] Unroll(int slot, InnerState state, float[] phi, Truncation truncation)
        => UnrollMany([new UnrollRequest(slot, state, phi, truncation)])[0];

    /// <summary>The bookkeeping, plus a fingerprint of the batched ensemble: slots store entry indices, which mean other problems if the supported entries change.</summary>
    public void Save(StateBag bag, string prefix)
    {
        _episodes.Save(bag, prefix);
        bag.SetULongs($"{prefix}batchedEntries", [_entriesFingerprint]);
    }

    public void Load(StateBag bag, string prefix)
    {
        var saved = bag.GetULongs($"{prefix}batchedEntries", 1)[0];
        if (saved != _entriesFingerprint)
            throw new InvalidDataException($"{bag.Source}: written for another batched ensemble (the entries with a batched problem differ from this build's and backend's).");
        _episodes.Load(bag, prefix);
    }

    // FNV-1a over the entry names in order.
    private static ulong Fingerprint(IEnumerable<string> names)
    {
        ulong h = 14695981039346656037UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(string.Join("\n", names)))
        {
            h ^= b;
            h *= 1099511628211UL;
        }
        return h;
    }

    /// <summary>The trajectories that share one batched problem: rows of its instance-major tensors.</summary>
    private sealed class Batch : IDisposable
    {
        public required int[] Members { get; init; }
        public required IBatchedProblem Problem { get; init; }
        public required DeviceBuffer Theta { get; init; }
        public required DeviceBuffer Grad { get; init; }
        public required DeviceBuffer Losses { get; init; }   // (Steps + 1) x Count: loss at θ_k in row k
        public required int Steps { get; init; }             // longest member truncation
        public required long StartStep { get; init; }        // the members' start step (any member's when step-independent)
        public required bool StepIndependent { get; init; }

        public int Count => Problem.Count;
        public int Dimension => Problem.Dimension;

        /// <summary>Loss at the current θ into row k, and (unless k is the last row) the training gradient of step StartStep + k.</summary>
        public void Evaluate(int k)
        {
            var loss = Slice(Losses.View, (long)k * Count, Count);
            var none = TensorView.None(Theta.View.Location);
            if (k == Steps) Problem.Evaluate(Theta.View, loss, none);
            else if (StepIndependent) Problem.TrainingStep(Theta.View, StartStep + k, loss, Grad.View);
            else
            {
                Problem.Evaluate(Theta.View, loss, none);
                Problem.TrainingStep(Theta.View, StartStep + k, none, Grad.View);
            }
        }

        public void Dispose()
        {
            Problem.Dispose();
            Theta.Dispose();
            Grad.Dispose();
            Losses.Dispose();
        }
    }

    public double[][] UnrollMany(IReadOnlyList<UnrollRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        int r = requests.Count;
        if (r == 0) return [];
        var tasks = new FlatTask[r];
        var initialLoss = new double[r];
        var dataSeeds = new ulong[r];
        for (int j = 0; j < r; j++)
        {
            var q = requests[j];
            if ((uint)q.Slot >= (uint)Slots) throw new ArgumentOutOfRangeException(nameof(requests), q.Slot, $"Request {j}: slot must be in [0, {Slots}).");
            ArgumentNullException.ThrowIfNull(q.State, $"{nameof(requests)}[{j}].State");
            ArgumentNullException.ThrowIfNull(q.Phi, $"{nameof(requests)}[{j}].Phi");
            if (q.Phi.Length != MetaParameterCount) throw new ArgumentException($"Request {j}: phi has {q.Phi.Length} values, expected {MetaParameterCount}.", nameof(requests));
            if (q.Truncation.Steps < 0) throw new ArgumentException($"Request {j}: truncation of {q.Truncation.Steps} steps.", nameof(requests));
            (tasks[j], initialLoss[j], dataSeeds[j]) = _episodes.Episode(q.Slot);
            if (q.State.Values.Length < tasks[j].Size)
                throw new InvalidDataException($"inner state of slot {q.Slot}: {q.State.Values.Length} values, its problem alone has {tasks[j].Size} parameters.");
        }

        // Trajectories of one entry share a batched problem; where its training step depends on the
        // step, only those at the same step of their episodes do.
        var keys = Enumerable.Range(0, r).GroupBy(j => (Entry: _episodes.EntryIndex(requests[j].Slot),
            Start: BatchedProblems.IsStepIndependent(tasks[j]) ? -1L : requests[j].Truncation.StartStep)).Select(g => g.ToArray()).ToList();
        var batches = new List<Batch>(keys.Count);
        try
        {
            var batchOf = new Batch[r];
            var rowOf = new int[r];
            foreach (var members in keys)
            {
                var b = CreateBatch(members, tasks, dataSeeds, requests);
                batches.Add(b);
                for (int i = 0; i < members.Length; i++) (batchOf[members[i]], rowOf[members[i]]) = (b, i);
            }
            return Run(requests, tasks, initialLoss, batches, batchOf, rowOf);
        }
        finally
        {
            foreach (var b in batches) b.Dispose();
        }
    }

    private Batch CreateBatch(int[] members, FlatTask[] tasks, ulong[] dataSeeds, IReadOnlyList<UnrollRequest> requests)
    {
        var first = tasks[members[0]];
        var problem = BatchedProblems.TryCreate(_backend, members.Select(j => tasks[j]).ToList(), members.Select(j => dataSeeds[j]).ToList())
            ?? throw new InvalidOperationException($"Ensemble entry '{first.Name}' has no batched problem on the {_backend.Kind} backend; restrict the sampler with BatchedUnrollEnvironment.Restrict.");
        try
        {
            int steps = members.Max(j => requests[j].Truncation.Steps);
            long n = (long)problem.Count * problem.Dimension;
            var theta = new float[n];
            for (int i = 0; i < members.Length; i++)
                requests[members[i]].State.Values.AsSpan(0, problem.Dimension).CopyTo(theta.AsSpan(i * problem.Dimension));
            var b = new Batch
            {
                Members = members,
                Problem = problem,
                Theta = _backend.Allocate(n),
                Grad = _backend.Allocate(n),
                Losses = _backend.Allocate((long)(steps + 1) * problem.Count),
                Steps = steps,
                StartStep = requests[members[0]].Truncation.StartStep,
                StepIndependent = members.All(j => BatchedProblems.IsStepIndependent(tasks[j])),
            };
            _backend.CopyFromHost(theta, b.Theta.View);
            return b;
        }
        catch
        {
            problem.Dispose();
            throw;
        }
    }

    private double[][] Run(IReadOnlyList<UnrollRequest> requests, FlatTask[] tasks, double[] initialLoss, List<Batch> batches, Batch[] batchOf, int[] rowOf)
    {
        int r = requests.Count;
        using var step = new GroupedHrnnStep(_backend, tasks.Select(t => t.Parameters).ToList(), _vector.H1, _vector.H2);
        var thetaViews = new List<TensorView>();
        var gradViews = new List<TensorView>();
        for (int j = 0; j < r; j++)
        {
            var b = batchOf[j];
            long at = (long)rowOf[j] * b.Dimension;
            foreach (var spec in tasks[j].Parameters)
            {
                thetaViews.Add(Slice(b.Theta.View, at, spec.Length));
                gradViews.Add(Slice(b.Grad.View, at, spec.Length));
                at += spec.Length;
            }
            var q = requests[j];
            step.SetWeights(j, _vector.ToWeights(q.Phi));
            if (q.State.Fresh) step.Reset(j);
            else
            {
                try
                {
                    step.Import(j, q.State.Values.AsSpan(tasks[j].Size));
                }
                catch (ArgumentException e)
                {
                    throw new InvalidDataException($"inner state of slot {q.Slot}: {e.Message}", e);
                }
            }
        }
        var theta = thetaViews.ToArray();
        var grad = gradViews.ToArray();
        int longest = requests.Max(q => q.Truncation.Steps);
        var active = new bool[r];
        for (int k = 0; k <= longest; k++)
        {
            using (PhaseTimer.Time(UnrollPhase.Task, _backend))
                foreach (var b in batches)
                    if (k <= b.Steps) b.Evaluate(k);
            if (k == longest) break;
            for (int j = 0; j < r; j++) active[j] = k < requests[j].Truncation.Steps;
            using (PhaseTimer.Time(UnrollPhase.OptimizerStep, _backend))
                step.Step(theta, grad, active);
        }

        // Point losses and the carried states [θ | optimizer state] back to the trajectories.
        var points = new double[r][];
        foreach (var b in batches)
        {
            var losses = new float[b.Losses.Length];
            var values = new float[b.Theta.Length];
            _backend.CopyToHost(b.Losses.View, losses);
            _backend.CopyToHost(b.Theta.View, values);
            for (int i = 0; i < b.Members.Length; i++)
            {
                int j = b.Members[i];
                var q = requests[j];
                var p = new double[q.Truncation.Steps + 1];
                for (int t = 0; t < p.Length; t++) p[t] = MetaObjective.PointLoss(losses[(long)t * b.Count + i], initialLoss[j], _cap);
                points[j] = p;
                var state = step.Export(j);
                var carried = new float[b.Dimension + state.Length];
                values.AsSpan(i * b.Dimension, b.Dimension).CopyTo(carried);
                state.CopyTo(carried, b.Dimension);
                q.State.Values = carried;
                q.State.Fresh = false;
            }
        }
        return points;
    }

    private static TensorView Slice(TensorView v, long offset, long length) => new(v.Address + (nint)(offset * sizeof(float)), length, v.Location);
}
