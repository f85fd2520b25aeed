using LearnedOpt.Data;
using LearnedOpt.Interop;
using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Optimizers.Celo;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tasks;
using LearnedOpt.Tasks.Batched;

namespace LearnedOpt.Backends;

/// <summary>
/// The kernel sets a backend hands out (as an accelerator hands out its kernels): each set is
/// obtained from the backend it runs on, so optimizers, tasks and meta-training never ask which
/// backend they have. <see cref="Cpu.CpuKernels"/> serves the CPU library, <see cref="Cuda.CudaKernels"/>
/// the NVRTC-compiled kernels. A new set is one method here, an interface beside its user and one
/// class each under Backends/Cpu and Backends/Cuda.
/// </summary>
internal interface IBackendKernels
{
    /// <summary>
    /// One fused hand-designed optimizer step. Non-finite gradient entries leave their parameter
    /// and state untouched and are counted (see <see cref="IBackend.TakeNonFiniteCount"/>).
    /// </summary>
    void OptimizerStep(NativeOptimizer kind, in LoptCoef coef, TensorView parameters, TensorView gradients, TensorView state0, TensorView state1, TensorView state2);

    /// <summary>The HRNN step of one optimizer with <paramref name="weights"/> over tensors of <paramref name="lengths"/>.</summary>
    IHrnnKernels Hrnn(HrnnWeights weights, long[] lengths);

    /// <summary>The HRNN step of independent groups, each with its own weight pack (set later).</summary>
    IHrnnKernels GroupedHrnn(int h1, int h2, HrnnGroups groups);

    /// <summary>The Celo step of one optimizer with <paramref name="weights"/> over tensors of <paramref name="layouts"/>, planned for <paramref name="totalSteps"/> steps.</summary>
    ICeloKernels Celo(CeloWeights weights, IReadOnlyList<CeloTensorLayout> layouts, long totalSteps, int phase);

    /// <summary>The elementwise wrapper operations for <paramref name="count"/> instances; <paramref name="seeds"/> only for random draws.</summary>
    WrapperKernels Wrappers(int count, IReadOnlyList<ulong>? seeds);

    /// <summary>Loss, gradient and HVP of a deterministic problem batch (test functions, bowls, quadratics, norms).</summary>
    IProblemBatchKernels ProblemBatch(HostProblemBatch batch);

    /// <summary>Loss, gradient and HVP of a classifier batch, on all rows or on given minibatch rows.</summary>
    IClassifierBatchKernels ClassifierBatch(ClassifierBatch batch);

    /// <summary>The MatMulAlgorithm(n, k) loss, gradient and HVP of <paramref name="count"/> instances.</summary>
    IMatMulKernels MatMul(int count, int n, int k);

    /// <summary><paramref name="count"/> ConvNets of <paramref name="shape"/> on <paramref name="data"/>: loss and gradient on given minibatch rows.</summary>
    IConvNetBatch ConvNet(ConvNetShape shape, LabeledDataset data, int count);

    /// <summary>The per-coordinate work of the TBPTT unroll (dispose it; the CPU's shared engine ignores that).</summary>
    HrnnCoordinateEngine CoordinateEngine();
}
