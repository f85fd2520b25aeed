using LearnedOpt.Backends;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// The elementwise operations of the batched wrappers on one backend (native/include/lopt/
/// lopt_wrappers.h: the CPU library or the CUDA kernels of wrappers.cu), for <see cref="Count"/>
/// instances laid out instance-major. Random draws are keyed by each instance's seed (given here),
/// the step, a stream number (one per noise or mask node) and the element index, so they are the
/// same on every backend and replay exactly. Views must live on the backend; none may alias
/// unless a method says so. Work may be queued asynchronously, like the backend's own.
/// </summary>
public abstract class WrapperKernels : IDisposable
{
    /// <summary>Largest stream number (24 bits of the generator's counter).</summary>
    public const uint MaxStream = 0xFFFFFF;

    protected WrapperKernels(IBackend backend, int count)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Backend = backend;
        Count = count;
    }

    public IBackend Backend { get; }
    public int Count { get; }

    /// <summary>The kernels of <paramref name="backend"/>; <paramref name="seeds"/> (one per instance) is needed only for random draws.</summary>
    public static WrapperKernels Create(IBackend backend, int count, IReadOnlyList<ulong>? seeds = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return backend.Kernels.Wrappers(count, seeds);
    }

    /// <summary>output[k·dim + i] = draw i of (seed k, step, stream).</summary>
    public abstract void Fill(RandomDraw draw, int dim, long step, uint stream, TensorView output);

    /// <summary>grad += σ·ξ with ξ the Gaussian draws of (seed k, step, stream).</summary>
    public abstract void Noise(int dim, long step, uint stream, float sigma, TensorView grad);

    /// <summary>output = x with each element dropped (0) where its uniform draw is below q; output may be x.</summary>
    public abstract void Mask(int dim, long step, uint stream, float q, TensorView x, TensorView output);

    /// <summary>output = x / d elementwise; output may be x.</summary>
    public abstract void Divide(TensorView x, float d, TensorView output);

    /// <summary>Log wrapper: loss = ln(f_P + ε) − ln ε, grad /= f_P + ε (either may be None).</summary>
    public abstract void Log(int dim, TensorView innerLoss, TensorView loss, TensorView grad);

    /// <summary>Log wrapper's HVP: hv = hv/d − g_exact (g_noisy·v)/d², d = f_P + ε.</summary>
    public abstract void LogHvp(int dim, TensorView innerLoss, TensorView gNoisy, TensorView gExact, TensorView v, TensorView hv);

    /// <summary>dst (Count × part) = the slice [offset, offset + part) of each instance of src (Count × total).</summary>
    public abstract void Gather(int total, int offset, int part, TensorView src, TensorView dst);

    /// <summary>The reverse of <see cref="Gather"/>: writes the slices of dst, leaves the rest.</summary>
    public abstract void Scatter(int total, int offset, int part, TensorView src, TensorView dst);

    /// <summary>output += x elementwise.</summary>
    public abstract void Add(TensorView x, TensorView output);

    protected void RequireRandom(int dim, long step, uint stream)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (stream > MaxStream) throw new ArgumentOutOfRangeException(nameof(stream), stream, $"Stream must be <= {MaxStream}.");
        if (!HasSeeds) throw new InvalidOperationException("These wrapper kernels were created without seeds, so they cannot draw random numbers.");
    }

    protected abstract bool HasSeeds { get; }

    protected static void RequireSlice(int total, int offset, int part)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(part, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if ((long)offset + part > total)
            throw new ArgumentOutOfRangeException(nameof(part), part, $"The slice [{offset}, {(long)offset + part}) does not fit in {total} floats per instance.");
    }

    /// <summary>Throws unless <paramref name="t"/> lives on this backend and holds <paramref name="length"/> floats.</summary>
    protected void Require(TensorView t, long length, string name)
    {
        if (t.Location != Backend.Location)
            throw new ArgumentException($"'{name}' lives in {t.Location}, the backend works on {Backend.Location}.", name);
        if (t.IsNull || t.Length != length)
            throw new ArgumentException($"'{name}' has {t.Length} floats{(t.IsNull ? " (null)" : "")}, {length} are needed.", name);
    }

    protected static ulong[] CheckSeeds(IReadOnlyList<ulong>? seeds, int count)
    {
        if (seeds == null) return [];
        if (seeds.Count != count)
            throw new ArgumentException($"'seeds' has {seeds.Count} entries, one per instance ({count}) is needed.", nameof(seeds));
        return [.. seeds];
    }

    public abstract void Dispose();
}
