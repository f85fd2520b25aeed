using LearnedOpt.Backends;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// The MatMulAlgorithm(n, k) launcher of one backend for a fixed instance count (from
/// <see cref="IBackendKernels.MatMul"/>): loss and gradient, or the HVP, on checked tensors of the
/// backend; None skips an output. <see cref="BatchedMatMul"/> validates the shapes.
/// </summary>
internal interface IMatMulKernels : IDisposable
{
    void Run(TensorView theta, TensorView loss, TensorView gradient, TensorView v, TensorView hv);
}
