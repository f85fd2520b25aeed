using LearnedOpt.Backends;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// A minimal leaf factory for the wrapper tests: the deterministic data-free families (test
/// functions, bowls, quadratics, norms) as <see cref="IBatchedProblem"/> over ProblemBatch on the CPU
/// or CudaProblemBatch on CUDA; a training step is the full evaluation. (Test-only; the production
/// adapter is BatchedProblems.) Records every list it is asked for.
/// </summary>
internal sealed class BatchedWrapperLeaves(IBackend backend)
{
    public List<IReadOnlyList<FlatTask>> Requests { get; } = [];

    public IBatchedProblem? Create(IReadOnlyList<FlatTask> tasks, IReadOnlyList<ulong> seeds)
    {
        Requests.Add(tasks);
        if (tasks[0] is not (TestFunctionTask or BowlTask or QuadraticTask or NormTask)) return null;
        return new Leaf(backend, ProblemBatch.Create(tasks));
    }

    private sealed unsafe class Leaf : IBatchedProblem
    {
        private readonly ProblemBatch _cpu;
        private readonly CudaProblemBatch? _gpu;

        public Leaf(IBackend backend, ProblemBatch batch)
        {
            Backend = backend;
            _cpu = batch;
            if (backend is CudaBackend cuda) _gpu = new CudaProblemBatch(cuda, batch);
        }

        public IBackend Backend { get; }
        public int Count => _cpu.Count;
        public int Dimension => _cpu.Dimension;

        private static Span<float> Span(TensorView t) => t.IsNull ? [] : new Span<float>(t.HostPointer, checked((int)t.Length));

        public void Evaluate(TensorView theta, TensorView loss, TensorView gradient)
        {
            if (_gpu != null) _gpu.Evaluate(theta, loss, gradient);
            else _cpu.Evaluate(Span(theta), Span(loss), Span(gradient));
        }

        public void HessianVectorProduct(TensorView theta, TensorView v, TensorView hv)
        {
            if (_gpu != null) _gpu.HessianVectorProduct(theta, v, hv);
            else _cpu.HessianVectorProduct(Span(theta), Span(v), Span(hv));
        }

        public void TrainingStep(TensorView theta, long step, TensorView loss, TensorView gradient) => Evaluate(theta, loss, gradient);

        public void TrainingHvp(TensorView theta, long step, TensorView v, TensorView hv) => HessianVectorProduct(theta, v, hv);

        public void Dispose() => _gpu?.Dispose();
    }
}
