using LearnedOpt.Data;
using LearnedOpt.Interop;
using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Optimizers.Celo;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tasks;
using LearnedOpt.Tasks.Batched;

namespace LearnedOpt.Backends.Cpu;

/// <summary>The kernel sets of the CPU library (liblopt_cpu.so, OpenMP) on host tensors.</summary>
internal sealed class CpuKernels(CpuBackend backend) : IBackendKernels
{
    public void OptimizerStep(NativeOptimizer kind, in LoptCoef coef, TensorView parameters, TensorView gradients, TensorView state0, TensorView state1, TensorView state2)
        => backend.OptimizerStep(kind, coef, parameters, gradients, state0, state1, state2);

    public IHrnnKernels Hrnn(HrnnWeights weights, long[] lengths) => new CpuHrnnKernels(weights, lengths.Length);

    public IHrnnKernels GroupedHrnn(int h1, int h2, HrnnGroups groups) => new CpuHrnnKernels(h1, h2, groups);

    public ICeloKernels Celo(CeloWeights weights, IReadOnlyList<CeloTensorLayout> layouts, long totalSteps, int phase) => new CpuCeloKernels(weights, layouts, totalSteps, phase);

    public WrapperKernels Wrappers(int count, IReadOnlyList<ulong>? seeds) => new CpuWrapperKernels(backend, count, seeds);

    public IProblemBatchKernels ProblemBatch(HostProblemBatch batch) => new CpuProblemBatchKernels(batch);

    public IClassifierBatchKernels ClassifierBatch(ClassifierBatch batch) => new CpuClassifierBatchKernels(batch);
    public IConvNetBatch ConvNet(ConvNetShape shape, LabeledDataset data, int count) => new CpuConvNetBatch(shape, data, count);

    public IMatMulKernels MatMul(int count, int n, int k) => new CpuMatMulKernels(count, n, k);

    // Stateless and thread-safe: every unroll shares the one engine.
    public HrnnCoordinateEngine CoordinateEngine() => HrnnCoordinateEngine.Cpu;
}
