using LearnedOpt.Interop;
using LearnedOpt.NativeLibraries;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Backends.Cpu;

/// <summary>
/// The HRNN step on the CPU library (native/cpu/hrnn_cpu.cpp): one optimizer through
/// lopt_hrnn_step, several groups through lopt_hrnn_step_grouped (groups run in parallel).
/// </summary>
internal sealed unsafe class CpuHrnnKernels : IHrnnKernels
{
    private readonly float[] _packs;
    private readonly int _h1, _h2, _packFloats;
    private readonly HrnnGroups _groups;
    private readonly bool _grouped;
    private readonly int[] _skipped, _active;
    private readonly long[] _bad;
    private long _skippedSteps, _badEntries;

    /// <summary>One optimizer over <paramref name="tensorCount"/> tensors (the plain step).</summary>
    public CpuHrnnKernels(HrnnWeights weights, int tensorCount)
        : this(weights.H1, weights.H2, HrnnGroups.Single(new long[tensorCount]), grouped: false)
        => SetPack(0, weights.Pack());

    /// <summary>Groups of tensors, each with its own pack (set with <see cref="SetPack"/>).</summary>
    public CpuHrnnKernels(int h1, int h2, HrnnGroups groups) : this(h1, h2, groups, grouped: true) { }

    private CpuHrnnKernels(int h1, int h2, HrnnGroups groups, bool grouped)
    {
        NativeLibraryResolver.Install();
        _h1 = h1;
        _h2 = h2;
        _groups = groups;
        _grouped = grouped;
        _packFloats = LoptHrnnNative.lopt_hrnn_pack_floats(h1, h2);
        if (_packFloats < 1) throw new ArgumentException($"HRNN sizes H1 = {h1}, H2 = {h2} are invalid.");
        _packs = GC.AllocateArray<float>(checked(_packFloats * groups.Count), pinned: true);
        _skipped = new int[groups.TensorCount];
        _active = new int[groups.Count];
        _bad = new long[groups.Count];
    }

    public void SetPack(int group, float[] pack)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(group);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(group, _groups.Count);
        if (pack.Length != _packFloats)
            throw new InvalidOperationException($"liblopt_cpu.so expects a weight pack of {_packFloats} floats, the managed side built {pack.Length}: rebuild the native library.");
        pack.CopyTo(_packs, (long)group * _packFloats);
    }

    public void Prepare(ReadOnlySpan<TensorView> blocks, HrnnSharedViews shared)
    {
        var t = new LoptHrnnTensor[blocks.Length];
        for (int i = 0; i < t.Length; i++)
            t[i] = new LoptHrnnTensor { Block = blocks[i].HostPointer, N = blocks[i].Length / LoptHrnnNative.BlockFloats };
        var sh = Shared(shared);
        fixed (float* pack = _packs)
        fixed (LoptHrnnTensor* tp = t)
        fixed (int* first = _groups.First)
        {
            if (_grouped) LoptCpuNative.Check(LoptHrnnNative.lopt_hrnn_prepare_grouped(pack, _h1, _h2, tp, first, _groups.Count, &sh), "lopt_hrnn_prepare_grouped");
            else LoptCpuNative.Check(LoptHrnnNative.lopt_hrnn_prepare(pack, _h1, _h2, tp, t.Length, &sh), "lopt_hrnn_prepare");
        }
    }

    public void Step(ReadOnlySpan<TensorView> theta, ReadOnlySpan<TensorView> grad, ReadOnlySpan<TensorView> blocks, HrnnSharedViews shared,
                     ReadOnlySpan<bool> active = default)
    {
        var t = new LoptHrnnTensor[blocks.Length];
        for (int i = 0; i < t.Length; i++)
            t[i] = new LoptHrnnTensor { Theta = theta[i].HostPointer, Grad = grad[i].HostPointer, Block = blocks[i].HostPointer, N = theta[i].Length };
        var sh = Shared(shared);
        if (!_grouped)
        {
            if (!active.IsEmpty) throw new ArgumentException("A plain HRNN step has no group mask.", nameof(active));
            long bad;
            fixed (float* pack = _packs)
            fixed (LoptHrnnTensor* tp = t)
            fixed (int* sk = _skipped)
                LoptCpuNative.Check(LoptHrnnNative.lopt_hrnn_step(pack, _h1, _h2, tp, t.Length, &sh, sk, &bad), "lopt_hrnn_step");
            _badEntries += bad;
            _skippedSteps += _skipped.Count(x => x != 0);
            return;
        }
        if (!active.IsEmpty && active.Length != _groups.Count)
            throw new ArgumentException($"'active' has {active.Length} flags, the step has {_groups.Count} groups.", nameof(active));
        for (int q = 0; q < _groups.Count; q++) _active[q] = active.IsEmpty || active[q] ? 1 : 0;
        Array.Clear(_bad);
        fixed (float* pack = _packs)
        fixed (LoptHrnnTensor* tp = t)
        fixed (int* first = _groups.First)
        fixed (int* act = _active)
        fixed (int* sk = _skipped)
        fixed (long* bad = _bad)
            LoptCpuNative.Check(LoptHrnnNative.lopt_hrnn_step_grouped(pack, _h1, _h2, tp, first, _groups.Count, act, &sh, sk, bad), "lopt_hrnn_step_grouped");
        _badEntries += _bad.Sum();
        for (int q = 0; q < _groups.Count; q++)
            if (_active[q] != 0)
                for (int k = _groups.First[q]; k < _groups.First[q + 1]; k++) _skippedSteps += _skipped[k] != 0 ? 1 : 0;
    }

    public HrnnSkipCounters ReadCounters() => new(_skippedSteps, _badEntries, _skipped.Select(x => x != 0).ToArray());

    private static LoptHrnnShared Shared(HrnnSharedViews v) => new()
    {
        S = v.S.HostPointer, G = v.G.HostPointer, E0 = v.E0.HostPointer, Etg = v.Etg.HostPointer, EllMean = v.EllMean.HostPointer, Mu = v.Mu.HostPointer,
    };

    public void Dispose() { }
}
