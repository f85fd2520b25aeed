namespace LearnedOpt.Backends;

/// <summary>
/// The coarse operations every engine provides, and the kernel sets it hands out (<see cref="Kernels"/>).
/// Optimizers, tasks and meta-training are written against this interface only; the CPU library
/// and the CUDA kernels share their math. Create one with <see cref="BackendSelector"/>.
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

    /// <summary>Non-finite gradient entries skipped since the last call (waits for queued work).</summary>
    long TakeNonFiniteCount();

    /// <summary>Waits until all queued work is done.</summary>
    void Synchronize();

    /// <summary>Mean milliseconds of <paramref name="work"/> over <paramref name="iterations"/> runs, after one warm-up, timed the backend's way.</summary>
    double TimeMilliseconds(Action work, int iterations);

    /// <summary>
    /// The kernel sets of this backend (HRNN steps, problem batches, wrappers, ...), each run where
    /// the backend runs. Internal: the library's own backends implement it, so IBackend is
    /// implemented only inside this assembly.
    /// </summary>
    internal IBackendKernels Kernels { get; }
}
