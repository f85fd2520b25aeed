using LearnedOpt.Interop;

namespace LearnedOpt.Backends;

/// <summary>
/// The coarse operations every engine provides. Optimizers, tasks and meta-training are written
/// against this interface only; the CPU library and the CUDA kernels share their math.
/// </summary>
public interface IBackend : IDisposable
{
    BackendKind Kind { get; }
    MemoryLocation Location { get; }

    /// <summary>One line: what runs the kernels (e.g. "cpu (OpenMP, 2 threads)").</summary>
    string Description { get; }

    /// <summary>Zeroed float32 memory of <paramref name="length"/> elements.</summary>
    DeviceBuffer Allocate(long length);

    void CopyFromHost(ReadOnlySpan<float> source, TensorView destination);
    void CopyToHost(TensorView source, Span<float> destination);

    /// <summary>destination = source (same backend); the bandwidth yardstick.</summary>
    void Copy(TensorView destination, TensorView source);

    /// <summary>
    /// One fused hand-designed optimizer step. Non-finite gradient entries leave their parameter
    /// and state untouched and are counted (see <see cref="TakeNonFiniteCount"/>).
    /// </summary>
    void OptimizerStep(NativeOptimizer kind, in LoptCoef coef, TensorView parameters, TensorView gradients, TensorView state0, TensorView state1);

    /// <summary>Non-finite gradient entries skipped since the last call (waits for queued work).</summary>
    long TakeNonFiniteCount();

    /// <summary>Waits until all queued work is done.</summary>
    void Synchronize();

    /// <summary>Mean milliseconds of <paramref name="work"/> over <paramref name="iterations"/> runs, after one warm-up, timed the backend's way.</summary>
    double TimeMilliseconds(Action work, int iterations);
}
