using LearnedOpt.Backends;
using LearnedOpt.Interop;

namespace LearnedOpt.Optimizers.Hrnn;

/// <summary>The HRNN step on the CPU library (native/cpu/hrnn_cpu.cpp).</summary>
internal sealed unsafe class CpuHrnnKernels : IHrnnKernels
{
    private readonly float[] _pack;
    private readonly int _h1, _h2;
    private readonly int[] _skipped;
    private long _skippedSteps, _badEntries;

    public CpuHrnnKernels(HrnnWeights weights, int tensorCount)
    {
        _skipped = new int[tensorCount];
        NativeLibraryResolver.Install();
        _h1 = weights.H1;
        _h2 = weights.H2;
        var pack = weights.Pack();
        int expected = LoptHrnnNative.lopt_hrnn_pack_floats(_h1, _h2);
        if (expected != pack.Length)
            throw new InvalidOperationException($"liblopt_cpu.so expects a weight pack of {expected} floats, the managed side built {pack.Length}: rebuild the native library.");
        _pack = GC.AllocateArray<float>(pack.Length, pinned: true);
        pack.CopyTo(_pack, 0);
    }

    public void Prepare(ReadOnlySpan<TensorView> blocks, HrnnSharedViews shared)
    {
        var t = new LoptHrnnTensor[blocks.Length];
        for (int i = 0; i < t.Length; i++)
            t[i] = new LoptHrnnTensor { Block = blocks[i].HostPointer, N = blocks[i].Length / LoptHrnnNative.BlockFloats };
        var sh = Shared(shared);
        fixed (float* pack = _pack)
        fixed (LoptHrnnTensor* tp = t)
            LoptCpuNative.Check(LoptHrnnNative.lopt_hrnn_prepare(pack, _h1, _h2, tp, t.Length, &sh), "lopt_hrnn_prepare");
    }

    public void Step(ReadOnlySpan<TensorView> theta, ReadOnlySpan<TensorView> grad, ReadOnlySpan<TensorView> blocks, HrnnSharedViews shared)
    {
        var t = new LoptHrnnTensor[blocks.Length];
        for (int i = 0; i < t.Length; i++)
            t[i] = new LoptHrnnTensor { Theta = theta[i].HostPointer, Grad = grad[i].HostPointer, Block = blocks[i].HostPointer, N = theta[i].Length };
        var sh = Shared(shared);
        long bad;
        fixed (float* pack = _pack)
        fixed (LoptHrnnTensor* tp = t)
        fixed (int* sk = _skipped)
            LoptCpuNative.Check(LoptHrnnNative.lopt_hrnn_step(pack, _h1, _h2, tp, t.Length, &sh, sk, &bad), "lopt_hrnn_step");
        _badEntries += bad;
        _skippedSteps += _skipped.Count(x => x != 0);
    }

    public HrnnSkipCounters ReadCounters() => new(_skippedSteps, _badEntries, _skipped.Select(x => x != 0).ToArray());

    private static LoptHrnnShared Shared(HrnnSharedViews v) => new()
    {
        S = v.S.HostPointer, G = v.G.HostPointer, E0 = v.E0.HostPointer, Etg = v.Etg.HostPointer, EllMean = v.EllMean.HostPointer, Mu = v.Mu.HostPointer,
    };

    public void Dispose() { }
}
