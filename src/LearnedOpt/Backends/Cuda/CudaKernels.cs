using LearnedOpt.Data;
using LearnedOpt.Interop;
using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Optimizers.Celo;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tasks;
using LearnedOpt.Tasks.Batched;

namespace LearnedOpt.Backends.Cuda;

/// <summary>The kernel sets of a CUDA backend: native/kernels/*.cu compiled by NVRTC, cuBLAS, all on its stream.</summary>
internal sealed class CudaKernels(CudaBackend backend) : IBackendKernels
{
    public void OptimizerStep(NativeOptimizer kind, in LoptCoef coef, TensorView parameters, TensorView gradients, TensorView state0, TensorView state1, TensorView state2)
        => backend.OptimizerStep(kind, coef, parameters, gradients, state0, state1, state2);

    public IHrnnKernels Hrnn(HrnnWeights weights, long[] lengths) => new CudaHrnnKernels(backend, weights, lengths);

    public IHrnnKernels GroupedHrnn(int h1, int h2, HrnnGroups groups) => new CudaHrnnKernels(backend, h1, h2, groups);

    public ICeloKernels Celo(CeloWeights weights, IReadOnlyList<CeloTensorLayout> layouts, long totalSteps, int phase) => new CudaCeloKernels(backend, weights, layouts, totalSteps, phase);

    public WrapperKernels Wrappers(int count, IReadOnlyList<ulong>? seeds) => new CudaWrapperKernels(backend, count, seeds);

    public IProblemBatchKernels ProblemBatch(HostProblemBatch batch) => new CudaProblemBatch(backend, batch);

    public IClassifierBatchKernels ClassifierBatch(ClassifierBatch batch) => new CudaClassifierBatch(backend, batch);
    public IConvNetBatch ConvNet(ConvNetShape shape, LabeledDataset data, int count) => new CudaConvNetBatch(backend, shape, data, count);

    public IMatMulKernels MatMul(int count, int n, int k) => new CudaMatMulKernels(backend, count, n, k);

    public HrnnCoordinateEngine CoordinateEngine() => new CudaCoordinateEngine(backend);
}
