using LearnedOpt.Backends;

namespace LearnedOpt.Optimizers.Hrnn;

/// <summary>The shared HRNN state (s_k, G) and its derived fields, as views on the backend.</summary>
internal readonly record struct HrnnSharedViews(TensorView S, TensorView G, TensorView E0, TensorView Etg, TensorView EllMean, TensorView Mu);

/// <summary>
/// One backend's launchers of the HRNN step (hrnn_cpu.cpp or hrnn.cu). Blocks are the tensors'
/// state blocks (LoptHrnnNative.BlockFloats rows of n floats each).
/// </summary>
internal interface IHrnnKernels : IDisposable
{
    /// <summary>Recomputes the derived fields (biases, per-tensor mean log-LR, mu) from the state.</summary>
    void Prepare(ReadOnlySpan<TensorView> blocks, HrnnSharedViews shared);

    /// <summary>One step; marks tensors that skipped it in <paramref name="skipped"/> and returns the unusable gradient entries.</summary>
    long Step(ReadOnlySpan<TensorView> theta, ReadOnlySpan<TensorView> grad, ReadOnlySpan<TensorView> blocks, HrnnSharedViews shared, Span<int> skipped);
}
