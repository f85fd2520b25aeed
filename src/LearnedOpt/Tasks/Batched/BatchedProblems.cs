using LearnedOpt.Backends;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// The one place that knows which synthetic problems have a batched implementation on which
/// backend. Batched meta-training asks it for every ensemble entry and leaves out the entries it
/// answers null for.
/// </summary>
public static class BatchedProblems
{
    /// <summary>
    /// Instances <paramref name="tasks"/> (one family and shape) as one batched problem on
    /// <paramref name="backend"/>, instance i's stochastic parts keyed by <paramref name="dataSeeds"/>[i];
    /// null when no batched implementation covers them.
    /// </summary>
    public static IBatchedProblem? TryCreate(IBackend backend, IReadOnlyList<FlatTask> tasks, IReadOnlyList<ulong> dataSeeds)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(dataSeeds);
        if (tasks.Count == 0) throw new ArgumentException("A batched problem needs at least one task.", nameof(tasks));
        if (dataSeeds.Count != tasks.Count)
            throw new ArgumentException($"'dataSeeds' has {dataSeeds.Count} seeds for {tasks.Count} tasks.", nameof(dataSeeds));
        if (tasks.Any(t => t == null)) throw new ArgumentException("'tasks' holds a null task.", nameof(tasks));
        // Wrappers, gradient noise and MatMul are composites; their plain leaves come from the switch below.
        return BatchedWrappers.TryCreate(backend, tasks, dataSeeds, (leaves, seeds) => Leaf(backend, leaves, seeds))
            ?? Leaf(backend, tasks, dataSeeds);
    }

    // A plain (unwrapped, noise-free) family with its own kernels, or null.
    private static IBatchedProblem? Leaf(IBackend backend, IReadOnlyList<FlatTask> tasks, IReadOnlyList<ulong> dataSeeds)
    {
        return tasks[0] switch
        {
            // Noise-free, full-data families with kernels in lopt_problems.h (TrainingStep = Evaluate).
            TestFunctionTask t when tasks.All(x => x is TestFunctionTask f && f.Function == t.Function) && Deterministic(tasks) => Adapt(backend, tasks),
            BowlTask when tasks.All(x => x is BowlTask) && Deterministic(tasks) => Adapt(backend, tasks),
            QuadraticTask q when tasks.All(x => x is QuadraticTask o && o.N == q.N) && Deterministic(tasks) => Adapt(backend, tasks),
            NormTask m when tasks.All(x => x is NormTask o && o.N == m.N && o.P == m.P) && Deterministic(tasks) => Adapt(backend, tasks),
            // Logistic regression and MLPs with minibatches: OpenMP on the CPU, cuBLAS on CUDA.
            ClassifierTask => BatchedClassifierProblem.TryCreate(backend, tasks, dataSeeds),
            _ => null,
        };
    }

    /// <summary>
    /// True when a training step of <paramref name="task"/>'s batched problem does not depend on the
    /// step (noise-free, full-data): instances at different steps of their episodes may then share
    /// one call. False (the safe answer) for anything stochastic or unknown.
    /// </summary>
    public static bool IsStepIndependent(FlatTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task is TestFunctionTask or BowlTask or QuadraticTask or NormTask && task.NoiseStd == 0 && task.BatchSize == 0;
    }

    private static bool Deterministic(IReadOnlyList<FlatTask> tasks) => tasks.All(IsStepIndependent);

    private static IBatchedProblem? Adapt(IBackend backend, IReadOnlyList<FlatTask> tasks)
    {
        var batch = HostProblemBatch.Create(tasks);
        try
        {
            return new HostBatchedProblem(backend, batch);
        }
        catch (NotSupportedException)
        {
            return null; // e.g. a dense problem too large for the CUDA kernel's shared memory
        }
    }
}
