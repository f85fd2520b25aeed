using LearnedOpt.Backends;

namespace LearnedOpt.Optimizers.Hrnn;

/// <summary>
/// The shared HRNN state (s_k, G) and its derived fields, as views on the backend. For G groups
/// (<see cref="HrnnGroups"/>): S K·H1, E0 K·3H0, EllMean K (per tensor); G G·H2, Etg G·3H1, Mu G (per group).
/// </summary>
internal readonly record struct HrnnSharedViews(TensorView S, TensorView G, TensorView E0, TensorView Etg, TensorView EllMean, TensorView Mu);

/// <summary>Tensor-steps skipped and unusable gradient entries seen so far (all groups); which tensors skipped the last step.</summary>
internal readonly record struct HrnnSkipCounters(long SkippedTensorSteps, long UnusableGradientEntries, bool[] LastStepSkipped);

/// <summary>
/// One backend's launchers of the HRNN step (hrnn_cpu.cpp or hrnn.cu) over one or more groups
/// (independent optimizer instances, each with its own weight pack). Blocks are the tensors'
/// state blocks (HrnnLayout.BlockFloats rows of n floats each).
/// </summary>
internal interface IHrnnKernels : IDisposable
{
    /// <summary>Sets group <paramref name="group"/>'s weight pack (HrnnWeights.Pack); Prepare must follow before a step.</summary>
    void SetPack(int group, float[] pack);

    /// <summary>Recomputes the derived fields (biases, per-tensor mean log-LR, mu) of every group from the state.</summary>
    void Prepare(ReadOnlySpan<TensorView> blocks, HrnnSharedViews shared);

    /// <summary>
    /// One step of every group, or of the groups with <paramref name="active"/>[q] set (empty: all);
    /// the others are left untouched. Queued on the backend; counters are kept where the kernels run.
    /// </summary>
    void Step(ReadOnlySpan<TensorView> theta, ReadOnlySpan<TensorView> grad, ReadOnlySpan<TensorView> blocks, HrnnSharedViews shared,
              ReadOnlySpan<bool> active = default);

    /// <summary>Skip counters since construction and the last step's skip flag per tensor (waits for queued work).</summary>
    HrnnSkipCounters ReadCounters();
}
