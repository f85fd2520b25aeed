using LearnedOpt.Backends;

namespace LearnedOpt.Optimizers.Hrnn;

/// <summary>The shared HRNN state (s_k, G) and its derived fields, as views on the backend.</summary>
internal readonly record struct HrnnSharedViews(TensorView S, TensorView G, TensorView E0, TensorView Etg, TensorView EllMean, TensorView Mu);

/// <summary>Tensor-steps skipped and unusable gradient entries seen so far; which tensors skipped the last step.</summary>
internal readonly record struct HrnnSkipCounters(long SkippedTensorSteps, long UnusableGradientEntries, bool[] LastStepSkipped);

/// <summary>
/// One backend's launchers of the HRNN step (hrnn_cpu.cpp or hrnn.cu). Blocks are the tensors'
/// state blocks (LoptHrnnNative.BlockFloats rows of n floats each).
/// </summary>
internal interface IHrnnKernels : IDisposable
{
    /// <summary>Recomputes the derived fields (biases, per-tensor mean log-LR, mu) from the state.</summary>
    void Prepare(ReadOnlySpan<TensorView> blocks, HrnnSharedViews shared);

    /// <summary>One step (queued on the backend; counters are kept where the kernels run).</summary>
    void Step(ReadOnlySpan<TensorView> theta, ReadOnlySpan<TensorView> grad, ReadOnlySpan<TensorView> blocks, HrnnSharedViews shared);

    /// <summary>Skip counters since construction and the last step's skip flag per tensor (waits for queued work).</summary>
    HrnnSkipCounters ReadCounters();
}
