using LearnedOpt.Backends;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// Builds the batched composite for a list of instances of one wrapped entry: rescale, log, sparse
/// and sum wrappers, gradient noise on leaves (decision 2: noise set inside sub-problems is kept)
/// and MatMul. Every instance must have the same structure (same wrappers with the same constants,
/// same part sizes); the leaves' coefficients and data may differ. The noise-free leaves are asked
/// from <c>inner</c>, which is called only with plain leaf lists (no wrapper, no MatMul, every
/// NoiseStd = 0) and the same data seeds, so passing the main factory (which calls this first)
/// cannot recurse. Noise and mask nodes get distinct generator streams 1, 2, … in pre-order.
/// </summary>
public static class BatchedWrappers
{
    /// <summary>
    /// The composite for <paramref name="tasks"/> on <paramref name="backend"/>, or null when the list
    /// is not a wrapper/noise/MatMul list (a plain noise-free leaf list), when the instances differ in
    /// structure, or when <paramref name="inner"/> has no batched leaf for some part.
    /// </summary>
    public static IBatchedProblem? TryCreate(IBackend backend, IReadOnlyList<FlatTask> tasks, IReadOnlyList<ulong> dataSeeds,
        Func<IReadOnlyList<FlatTask>, IReadOnlyList<ulong>, IBatchedProblem?> inner)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(dataSeeds);
        ArgumentNullException.ThrowIfNull(inner);
        if (tasks.Count == 0) throw new ArgumentException("A batch needs at least one task.", nameof(tasks));
        if (dataSeeds.Count != tasks.Count)
            throw new ArgumentException($"'dataSeeds' has {dataSeeds.Count} entries, one per task ({tasks.Count}) is needed.", nameof(dataSeeds));
        for (int i = 0; i < tasks.Count; i++)
            if (tasks[i] == null) throw new ArgumentException($"tasks[{i}] is null.", nameof(tasks));
        if (IsPlainLeaf(tasks[0]) || tasks.Any(t => t.Size != tasks[0].Size)) return null;
        uint stream = 0;
        return new Builder(backend, dataSeeds, inner).Build(tasks, ref stream);
    }

    private static bool IsPlainLeaf(FlatTask t) => t is not (RescaleTask or LogTask or SparseTask or SumTask or MatMulTask) && t.NoiseStd == 0;

    private sealed class Builder(IBackend backend, IReadOnlyList<ulong> seeds, Func<IReadOnlyList<FlatTask>, IReadOnlyList<ulong>, IBatchedProblem?> inner)
    {
        public IBatchedProblem? Build(IReadOnlyList<FlatTask> tasks, ref uint stream)
        {
            switch (tasks[0])
            {
                case RescaleTask r:
                {
                    if (!tasks.All(t => t is RescaleTask x && x.Scale == r.Scale)) return null;
                    var child = Build(tasks.Select(t => ((RescaleTask)t).Inner).ToList(), ref stream);
                    return child == null ? null : Own(child, () => new BatchedRescale(child, r.Scale));
                }
                case LogTask:
                {
                    if (!tasks.All(t => t is LogTask)) return null;
                    var child = Build(tasks.Select(t => ((LogTask)t).Inner).ToList(), ref stream);
                    return child == null ? null : Own(child, () => new BatchedLog(child));
                }
                case SparseTask s:
                {
                    if (!tasks.All(t => t is SparseTask x && x.DropProbability == s.DropProbability)) return null;
                    uint id = Next(ref stream);
                    var child = Build(tasks.Select(t => ((SparseTask)t).Inner).ToList(), ref stream);
                    return child == null ? null : Own(child, () => new BatchedSparse(child, seeds, s.DropProbability, id));
                }
                case SumTask sum:
                    return BuildSum(sum, tasks, ref stream);
                case MatMulTask m:
                    return tasks.All(t => t is MatMulTask x && x.N == m.N && x.K == m.K) ? new BatchedMatMul(backend, tasks.Count, m.N, m.K) : null;
                default:
                    return BuildLeaf(tasks, ref stream);
            }
        }

        private IBatchedProblem? BuildSum(SumTask first, IReadOnlyList<FlatTask> tasks, ref uint stream)
        {
            int m = first.Parts.Count;
            if (!tasks.All(t => t is SumTask s && s.Parts.Count == m && s.Parts.Select(p => p.Size).SequenceEqual(first.Parts.Select(p => p.Size))))
                return null;
            var parts = new List<IBatchedProblem>();
            try
            {
                for (int j = 0; j < m; j++)
                {
                    var part = Build(tasks.Select(t => ((SumTask)t).Parts[j]).ToList(), ref stream);
                    if (part == null)
                    {
                        foreach (var p in parts) p.Dispose();
                        return null;
                    }
                    parts.Add(part);
                }
                return new BatchedSum(parts);
            }
            catch
            {
                foreach (var p in parts) p.Dispose();
                throw;
            }
        }

        private IBatchedProblem? BuildLeaf(IReadOnlyList<FlatTask> tasks, ref uint stream)
        {
            if (tasks.Any(t => t is RescaleTask or LogTask or SparseTask or SumTask or MatMulTask)) return null;
            double sigma = tasks[0].NoiseStd;
            if (tasks.Any(t => t.NoiseStd != sigma || t.GetType() != tasks[0].GetType())) return null;
            if (tasks.Any(t => t.Size != tasks[0].Size)) return null;
            if (sigma == 0) return Leaf(tasks);
            var twins = tasks.Select(NoiseFreeTwin.Of).ToList();
            if (twins.Any(t => t == null)) return null;
            uint id = Next(ref stream);
            var leaf = Leaf(twins!);
            return leaf == null ? null : Own(leaf, () => new BatchedNoise(leaf, seeds, sigma, id));
        }

        // The factory's leaf, checked against the tasks it was asked for.
        private IBatchedProblem? Leaf(IReadOnlyList<FlatTask> tasks)
        {
            var leaf = inner(tasks, seeds);
            if (leaf == null) return null;
            if (leaf.Count != tasks.Count || leaf.Dimension != tasks[0].Size || !ReferenceEquals(leaf.Backend, backend))
            {
                string got = $"{leaf.Count} × {leaf.Dimension} on {leaf.Backend.Description}";
                leaf.Dispose();
                throw new InvalidOperationException($"The leaf factory returned {got} for {tasks.Count} × {tasks[0].Size} '{tasks[0].Name}' on {backend.Description}.");
            }
            return leaf;
        }

        private static uint Next(ref uint stream)
        {
            if (stream >= WrapperKernels.MaxStream) throw new InvalidOperationException($"More than {WrapperKernels.MaxStream} noise and mask nodes in one composite.");
            return ++stream;
        }

        // Disposes the child when its wrapper cannot be built.
        private static IBatchedProblem Own(IBatchedProblem child, Func<IBatchedProblem> wrap)
        {
            try
            {
                return wrap();
            }
            catch
            {
                child.Dispose();
                throw;
            }
        }
    }
}
