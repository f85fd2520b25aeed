using LearnedOpt.Backends;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// The leaf factory of the wrapper tests: the deterministic data-free families (test functions,
/// bowls, quadratics, norms) through the production <see cref="HostBatchedProblem"/>, recording
/// every list it is asked for (the builder must only ask for plain, noise-free leaves).
/// </summary>
internal sealed class BatchedWrapperLeaves(IBackend backend)
{
    public List<IReadOnlyList<FlatTask>> Requests { get; } = [];

    public IBatchedProblem? Create(IReadOnlyList<FlatTask> tasks, IReadOnlyList<ulong> seeds)
    {
        Requests.Add(tasks);
        if (tasks[0] is not (TestFunctionTask or BowlTask or QuadraticTask or NormTask)) return null;
        return new HostBatchedProblem(backend, HostProblemBatch.Create(tasks));
    }
}
