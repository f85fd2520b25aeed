using System.Runtime.InteropServices;
using LearnedOpt.Cuda;
using LearnedOpt.Tasks.Batched;

namespace LearnedOpt.Backends.Cuda;

/// <summary>
/// The wrapper operations as CUDA kernels (native/kernels/wrappers.cu, the same math header as the
/// CPU launchers) on device tensors, queued on the backend's stream. Seeds are uploaded once.
/// </summary>
internal sealed unsafe class CudaWrapperKernels : WrapperKernels
{
    private const string File = "wrappers.cu";
    private const int LogHvpBlock = 128;

    private readonly CudaBackend _cuda;
    private readonly DeviceBuffer? _seeds;

    public CudaWrapperKernels(CudaBackend backend, int count, IReadOnlyList<ulong>? seeds) : base(backend, count)
    {
        _cuda = backend;
        var s = CheckSeeds(seeds, count);
        if (s.Length > 0)
        {
            // The device buffer holds floats; the seeds travel as their bits (2 floats each, 256-byte aligned).
            _seeds = backend.Allocate(2L * s.Length);
            backend.CopyFromHost(MemoryMarshal.Cast<ulong, float>(s), _seeds.View);
        }
    }

    protected override bool HasSeeds => _seeds != null;

    private ulong SeedPointer => _seeds?.View.DevicePointer ?? 0;

    private void Launch(string kernel, long elements, void** args)
        => _cuda.Launch(_cuda.GetFunction(File, kernel), _cuda.GridFor(Math.Max(elements, 1)), KernelLauncher.DefaultBlock, args);

    public override void Fill(RandomDraw draw, int dim, long step, uint stream, TensorView output)
    {
        RequireRandom(dim, step, stream);
        Require(output, (long)Count * dim, nameof(output));
        int kind = (int)draw;
        long count = Count;
        ulong seeds = SeedPointer, o = output.DevicePointer;
        var args = stackalloc void*[] { &kind, &count, &dim, &seeds, &step, &stream, &o };
        Launch("lopt_random_fill", count * dim, args);
    }

    public override void Noise(int dim, long step, uint stream, float sigma, TensorView grad)
    {
        RequireRandom(dim, step, stream);
        Require(grad, (long)Count * dim, nameof(grad));
        if (!(sigma >= 0) || float.IsInfinity(sigma)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "Noise std must be finite and >= 0.");
        long count = Count;
        ulong seeds = SeedPointer, g = grad.DevicePointer;
        var args = stackalloc void*[] { &count, &dim, &seeds, &step, &stream, &sigma, &g };
        Launch("lopt_wrap_noise", count * dim, args);
    }

    public override void Mask(int dim, long step, uint stream, float q, TensorView x, TensorView output)
    {
        RequireRandom(dim, step, stream);
        Require(x, (long)Count * dim, nameof(x));
        Require(output, (long)Count * dim, nameof(output));
        if (!(q >= 0 && q < 1)) throw new ArgumentOutOfRangeException(nameof(q), q, "Drop probability must be in [0, 1).");
        long count = Count;
        ulong seeds = SeedPointer, px = x.DevicePointer, o = output.DevicePointer;
        var args = stackalloc void*[] { &count, &dim, &seeds, &step, &stream, &q, &px, &o };
        Launch("lopt_wrap_mask", count * dim, args);
    }

    public override void Divide(TensorView x, float d, TensorView output)
    {
        Require(output, x.Length, nameof(output));
        Require(x, output.Length, nameof(x));
        long n = x.Length;
        if (n == 0) return;
        ulong px = x.DevicePointer, o = output.DevicePointer;
        var args = stackalloc void*[] { &n, &px, &d, &o };
        Launch("lopt_wrap_divide", n, args);
    }

    public override void Log(int dim, TensorView innerLoss, TensorView loss, TensorView grad)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        Require(innerLoss, Count, nameof(innerLoss));
        if (!loss.IsNull) Require(loss, Count, nameof(loss));
        if (!grad.IsNull) Require(grad, (long)Count * dim, nameof(grad));
        long count = Count;
        ulong f = innerLoss.DevicePointer, l = loss.IsNull ? 0 : loss.DevicePointer, g = grad.IsNull ? 0 : grad.DevicePointer;
        var args = stackalloc void*[] { &count, &dim, &f, &l, &g };
        Launch("lopt_wrap_log", count * dim, args);
    }

    public override void LogHvp(int dim, TensorView innerLoss, TensorView gNoisy, TensorView gExact, TensorView v, TensorView hv)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        long n = (long)Count * dim;
        Require(innerLoss, Count, nameof(innerLoss));
        Require(gNoisy, n, nameof(gNoisy));
        Require(gExact, n, nameof(gExact));
        Require(v, n, nameof(v));
        Require(hv, n, nameof(hv));
        long count = Count;
        ulong f = innerLoss.DevicePointer, gn = gNoisy.DevicePointer, ge = gExact.DevicePointer, pv = v.DevicePointer, h = hv.DevicePointer;
        var args = stackalloc void*[] { &count, &dim, &f, &gn, &ge, &pv, &h };
        // One block per instance, grid-stride beyond 65535 instances.
        _cuda.Launch(_cuda.GetFunction(File, "lopt_wrap_log_hvp"), (uint)Math.Min(count, 65535), LogHvpBlock, args);
    }

    public override void Gather(int total, int offset, int part, TensorView src, TensorView dst)
    {
        RequireSlice(total, offset, part);
        Require(src, (long)Count * total, nameof(src));
        Require(dst, (long)Count * part, nameof(dst));
        long count = Count;
        ulong s = src.DevicePointer, d = dst.DevicePointer;
        var args = stackalloc void*[] { &count, &total, &offset, &part, &s, &d };
        Launch("lopt_wrap_gather", count * part, args);
    }

    public override void Scatter(int total, int offset, int part, TensorView src, TensorView dst)
    {
        RequireSlice(total, offset, part);
        Require(src, (long)Count * part, nameof(src));
        Require(dst, (long)Count * total, nameof(dst));
        long count = Count;
        ulong s = src.DevicePointer, d = dst.DevicePointer;
        var args = stackalloc void*[] { &count, &total, &offset, &part, &s, &d };
        Launch("lopt_wrap_scatter", count * part, args);
    }

    public override void Add(TensorView x, TensorView output)
    {
        Require(output, x.Length, nameof(output));
        Require(x, output.Length, nameof(x));
        long n = x.Length;
        if (n == 0) return;
        ulong px = x.DevicePointer, o = output.DevicePointer;
        var args = stackalloc void*[] { &n, &px, &o };
        Launch("lopt_wrap_add", n, args);
    }

    public override void Dispose() => _seeds?.Dispose();
}
