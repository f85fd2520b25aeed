using LearnedOpt.Backends;

namespace LearnedOpt.Optimizers.Celo;

/// <summary>Gradient entries that were NaN or infinite, tensor-steps skipped for them, and which tensors skipped the last step.</summary>
internal readonly record struct CeloCounters(long NonFiniteEntries, long SkippedTensorSteps, bool[] LastStepSkipped);

/// <summary>
/// One backend's launchers of the Celo step (celo_cpu.cpp or celo.cu) for one optimizer: weights
/// and tensor layouts fixed at construction, the global state (loss buffer, scheduler h and c, s;
/// LoptCeloNative.GlobalDoubles doubles) kept where the kernels run.
/// </summary>
internal interface ICeloKernels : IDisposable
{
    /// <summary>One step: scheduler from <paramref name="loss"/> and <paramref name="step"/> (steps taken), then every tensor. Queued on the backend.</summary>
    void Step(ReadOnlySpan<TensorView> parameters, ReadOnlySpan<TensorView> gradients, ReadOnlySpan<TensorView> states, float loss, long step);

    /// <summary>The global state (waits for queued work).</summary>
    double[] ReadGlobal();

    /// <summary>Replaces the global state.</summary>
    void WriteGlobal(ReadOnlySpan<double> global);

    /// <summary>Counters since construction (waits for queued work).</summary>
    CeloCounters ReadCounters();
}
