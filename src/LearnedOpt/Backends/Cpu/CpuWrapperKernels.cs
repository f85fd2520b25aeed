using LearnedOpt.Interop;
using LearnedOpt.Tasks.Batched;

namespace LearnedOpt.Backends.Cpu;

/// <summary>The wrapper operations on the CPU library (lopt_wrappers_abi.h, OpenMP), on host tensors.</summary>
internal sealed unsafe class CpuWrapperKernels : WrapperKernels
{
    // Pinned for the object's lifetime, so its address can be handed to native code at any time.
    private readonly ulong[] _seeds;

    public CpuWrapperKernels(IBackend backend, int count, IReadOnlyList<ulong>? seeds) : base(backend, count)
    {
        LoptWrappersNative.EnsureLoaded();
        var s = CheckSeeds(seeds, count);
        _seeds = GC.AllocateArray<ulong>(s.Length, pinned: true);
        s.CopyTo(_seeds, 0);
    }

    protected override bool HasSeeds => _seeds.Length > 0;

    private ulong* Seeds => _seeds.Length == 0 ? null : (ulong*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _seeds[0]);

    private static void Check(int code, string call) => LoptCpuNative.Check(code, call);

    public override void Fill(RandomDraw draw, int dim, long step, uint stream, TensorView output)
    {
        RequireRandom(dim, step, stream);
        Require(output, (long)Count * dim, nameof(output));
        Check(LoptWrappersNative.lopt_random_fill((int)draw, Count, dim, Seeds, step, stream, output.HostPointer), "lopt_random_fill");
    }

    public override void Noise(int dim, long step, uint stream, float sigma, TensorView grad)
    {
        RequireRandom(dim, step, stream);
        Require(grad, (long)Count * dim, nameof(grad));
        Check(LoptWrappersNative.lopt_wrap_noise(Count, dim, Seeds, step, stream, sigma, grad.HostPointer), "lopt_wrap_noise");
    }

    public override void Mask(int dim, long step, uint stream, float q, TensorView x, TensorView output)
    {
        RequireRandom(dim, step, stream);
        Require(x, (long)Count * dim, nameof(x));
        Require(output, (long)Count * dim, nameof(output));
        Check(LoptWrappersNative.lopt_wrap_mask(Count, dim, Seeds, step, stream, q, x.HostPointer, output.HostPointer), "lopt_wrap_mask");
    }

    public override void Divide(TensorView x, float d, TensorView output)
    {
        Require(output, x.Length, nameof(output));
        Require(x, output.Length, nameof(x));
        Check(LoptWrappersNative.lopt_wrap_divide(x.Length, x.HostPointer, d, output.HostPointer), "lopt_wrap_divide");
    }

    public override void Log(int dim, TensorView innerLoss, TensorView loss, TensorView grad)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        Require(innerLoss, Count, nameof(innerLoss));
        if (!loss.IsNull) Require(loss, Count, nameof(loss));
        if (!grad.IsNull) Require(grad, (long)Count * dim, nameof(grad));
        Check(LoptWrappersNative.lopt_wrap_log(Count, dim, innerLoss.HostPointer, loss.IsNull ? null : loss.HostPointer,
            grad.IsNull ? null : grad.HostPointer), "lopt_wrap_log");
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
        Check(LoptWrappersNative.lopt_wrap_log_hvp(Count, dim, innerLoss.HostPointer, gNoisy.HostPointer, gExact.HostPointer,
            v.HostPointer, hv.HostPointer), "lopt_wrap_log_hvp");
    }

    public override void Gather(int total, int offset, int part, TensorView src, TensorView dst)
    {
        RequireSlice(total, offset, part);
        Require(src, (long)Count * total, nameof(src));
        Require(dst, (long)Count * part, nameof(dst));
        Check(LoptWrappersNative.lopt_wrap_gather(Count, total, offset, part, src.HostPointer, dst.HostPointer), "lopt_wrap_gather");
    }

    public override void Scatter(int total, int offset, int part, TensorView src, TensorView dst)
    {
        RequireSlice(total, offset, part);
        Require(src, (long)Count * part, nameof(src));
        Require(dst, (long)Count * total, nameof(dst));
        Check(LoptWrappersNative.lopt_wrap_scatter(Count, total, offset, part, src.HostPointer, dst.HostPointer), "lopt_wrap_scatter");
    }

    public override void Add(TensorView x, TensorView output)
    {
        Require(output, x.Length, nameof(output));
        Require(x, output.Length, nameof(x));
        Check(LoptWrappersNative.lopt_wrap_add(x.Length, x.HostPointer, output.HostPointer), "lopt_wrap_add");
    }

    public override void Dispose() { }
}
