using System.Runtime.InteropServices;
using LearnedOpt.Cuda;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Interop;

namespace LearnedOpt.Backends.Cuda;

/// <summary>
/// The HRNN step on CUDA (native/kernels/hrnn.cu): four launches per step whatever the tensor or
/// group count (scan, pass A, small with one block per group, pass B), driven by a tensor table,
/// a chunk table and a group table on the device. The chunk and group tables are fixed by the
/// sizes; the tensor table, the packs and the group mask are re-uploaded only when they change.
/// </summary>
internal sealed unsafe class CudaHrnnKernels : IHrnnKernels
{
    private const string File = "hrnn.cu";
    private const int Chunk = NativeConstants.HrnnGpuChunk, Threads = NativeConstants.HrnnThreads, Sums = NativeConstants.HrnnSums,
        I1 = NativeConstants.HrnnI1, SharedLimitBytes = 48 * 1024;

    /// <summary>Mirror of <c>lopt_hrnn_desc</c> (lopt_hrnn.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Desc
    {
        public ulong Theta, Grad, Block;
        public long N;
        public int Chunk0, NChunks;
        public int Group, Pad;
    }

    private readonly CudaBackend _backend;
    private readonly int _h1, _h2, _k, _groupCount, _chunks, _packFloats;
    private readonly uint _smallShared;
    private readonly Desc[] _tab;
    private readonly float[] _hostPacks;
    private readonly int[] _active;
    private readonly DeviceBuffer _packs, _tabBuf, _chunkK, _groupFirst, _activeBuf, _bad, _skipped, _counters, _ck, _partials;
    private readonly CudaFunction _scan, _passA, _small, _passB, _ellSums, _prepare;
    private bool _tabUploaded, _packsDirty, _activeUploaded;

    /// <summary>One optimizer over tensors of these lengths (the plain step).</summary>
    public CudaHrnnKernels(CudaBackend backend, HrnnWeights weights, long[] lengths)
        : this(backend, weights.H1, weights.H2, HrnnGroups.Single(lengths))
        => SetPack(0, weights.Pack());

    /// <summary>Groups of tensors, each with its own pack (set with <see cref="SetPack"/>).</summary>
    public CudaHrnnKernels(CudaBackend backend, int h1, int h2, HrnnGroups groups)
    {
        _backend = backend;
        _h1 = h1;
        _h2 = h2;
        _k = groups.TensorCount;
        _groupCount = groups.Count;
        long sharedFloats = Math.Max((long)(Threads / 32) * (I1 + 3 * _h1), _h1 + 3L * _h2);
        if (sharedFloats * sizeof(float) > SharedLimitBytes)
            throw new NotSupportedException($"HRNN sizes H1 = {_h1}, H2 = {_h2} need {sharedFloats * sizeof(float)} bytes of shared memory in the CUDA small-cell kernel; at most {SharedLimitBytes} are supported.");
        _smallShared = (uint)(sharedFloats * sizeof(float));
        // The pack layout of lopt_hrnn_make_layout (HrnnWeights.Pack builds it; its length is checked in SetPack).
        _packFloats = PackFloats(h1, h2);

        var group = groups.GroupOfTensor();
        _tab = new Desc[_k];
        var chunkK = new List<int>();
        for (int i = 0; i < _k; i++)
        {
            int n = checked((int)((groups.Lengths[i] + Chunk - 1) / Chunk));
            _tab[i] = new Desc { N = groups.Lengths[i], Chunk0 = chunkK.Count, NChunks = n, Group = group[i] };
            for (int c = 0; c < n; c++) chunkK.Add(i);
        }
        _chunks = chunkK.Count;
        _hostPacks = new float[checked((long)_packFloats * _groupCount)];
        _active = new int[_groupCount];

        _scan = backend.GetFunction(File, "lopt_hrnn_scan");
        _passA = backend.GetFunction(File, "lopt_hrnn_pass_a");
        _small = backend.GetFunction(File, "lopt_hrnn_small");
        _passB = backend.GetFunction(File, "lopt_hrnn_pass_b");
        _ellSums = backend.GetFunction(File, "lopt_hrnn_ell_sums");
        _prepare = backend.GetFunction(File, "lopt_hrnn_prepare");

        _packs = backend.Allocate(_hostPacks.Length);
        _tabBuf = backend.Allocate((long)_k * sizeof(Desc) / sizeof(float));
        _chunkK = backend.Allocate(Math.Max(_chunks, 1));
        backend.CopyFromHost(MemoryMarshal.Cast<int, float>(chunkK.ToArray()), new TensorView(_chunkK.View.Address, _chunks, _chunkK.View.Location));
        _groupFirst = backend.Allocate(_groupCount + 1);
        backend.CopyFromHost(MemoryMarshal.Cast<int, float>(groups.First), _groupFirst.View);
        _activeBuf = backend.Allocate(_groupCount); // int per group
        _bad = backend.Allocate(_k);                // int per tensor, zeroed
        _skipped = backend.Allocate(_k);            // int per tensor
        _counters = backend.Allocate(4L * _groupCount); // two u64 per group
        _ck = backend.Allocate(_k);
        _partials = backend.Allocate((long)Math.Max(_chunks, 1) * Sums);
    }

    // Every weight of the file layout except the three h0 vectors (the momentum logit and step
    // offset become lambda and o): the length of HrnnWeights.Pack.
    private static int PackFloats(int h1, int h2)
        => checked((int)HrnnWeights.Layout(HrnnWeights.ParamHidden, h1, h2).Sum(e => e.Shape.Aggregate(1L, (a, b) => a * b))) - HrnnWeights.ParamHidden - h1 - h2;

    public void SetPack(int group, float[] pack)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(group);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(group, _groupCount);
        if (pack.Length != _packFloats)
            throw new InvalidOperationException($"The CUDA HRNN kernels expect a weight pack of {_packFloats} floats, the managed side built {pack.Length}.");
        pack.CopyTo(_hostPacks, (long)group * _packFloats);
        _packsDirty = true;
    }

    public void Prepare(ReadOnlySpan<TensorView> blocks, HrnnSharedViews shared)
    {
        UploadTable(default, default, blocks);
        UploadPacks();
        ulong tab = _tabBuf.View.DevicePointer, chunkK = _chunkK.View.DevicePointer, partials = _partials.View.DevicePointer;
        if (_chunks > 0)
        {
            var a = stackalloc void*[] { &tab, &chunkK, &partials };
            _backend.Launch(_ellSums, (uint)_chunks, Threads, a);
        }
        ulong packs = _packs.View.DevicePointer, first = _groupFirst.View.DevicePointer, s = shared.S.DevicePointer, g = shared.G.DevicePointer,
              e0 = shared.E0.DevicePointer, etg = shared.Etg.DevicePointer, ell = shared.EllMean.DevicePointer, mu = shared.Mu.DevicePointer;
        long stride = _packFloats;
        int h1 = _h1, h2 = _h2;
        var b = stackalloc void*[] { &packs, &stride, &h1, &h2, &first, &tab, &partials, &s, &g, &e0, &etg, &ell, &mu };
        _backend.Launch(_prepare, (uint)_groupCount, Threads, b);
    }

    public void Step(ReadOnlySpan<TensorView> theta, ReadOnlySpan<TensorView> grad, ReadOnlySpan<TensorView> blocks, HrnnSharedViews shared,
                     ReadOnlySpan<bool> active = default)
    {
        UploadTable(theta, grad, blocks);
        UploadPacks();
        ulong act = UploadActive(active);
        ulong tab = _tabBuf.View.DevicePointer, chunkK = _chunkK.View.DevicePointer, bad = _bad.View.DevicePointer,
              skipped = _skipped.View.DevicePointer, counters = _counters.View.DevicePointer, ck = _ck.View.DevicePointer,
              partials = _partials.View.DevicePointer, packs = _packs.View.DevicePointer, first = _groupFirst.View.DevicePointer;
        ulong s = shared.S.DevicePointer, g = shared.G.DevicePointer, e0 = shared.E0.DevicePointer, etg = shared.Etg.DevicePointer,
              ell = shared.EllMean.DevicePointer, mu = shared.Mu.DevicePointer;
        long stride = _packFloats;
        int h1 = _h1, h2 = _h2;
        if (_chunks > 0)
        {
            var scan = stackalloc void*[] { &tab, &chunkK, &act, &bad };
            _backend.Launch(_scan, (uint)_chunks, Threads, scan);
            var a = stackalloc void*[] { &packs, &stride, &tab, &chunkK, &act, &bad, &e0, &mu, &partials };
            _backend.Launch(_passA, (uint)_chunks, Threads, a);
        }
        var small = stackalloc void*[] { &packs, &stride, &h1, &h2, &first, &tab, &partials, &act, &bad, &skipped, &counters, &s, &g, &e0, &etg, &ell, &mu, &ck };
        _backend.Launch(_small, (uint)_groupCount, Threads, small, _smallShared);
        if (_chunks > 0)
        {
            var b = stackalloc void*[] { &tab, &chunkK, &act, &skipped, &ck };
            _backend.Launch(_passB, (uint)_chunks, Threads, b);
        }
    }

    public HrnnSkipCounters ReadCounters()
    {
        var counters = new float[4L * _groupCount];
        _backend.CopyToHost(_counters.View, counters);
        var flags = new float[_k];
        _backend.CopyToHost(_skipped.View, flags);
        var c = MemoryMarshal.Cast<float, long>(counters);
        var f = MemoryMarshal.Cast<float, int>(flags);
        long steps = 0, entries = 0;
        for (int q = 0; q < _groupCount; q++) { steps += c[2 * q]; entries += c[2 * q + 1]; }
        var last = new bool[_k];
        for (int i = 0; i < _k; i++) last[i] = f[i] != 0;
        return new HrnnSkipCounters(steps, entries, last);
    }

    // The tensor table with this call's pointers; uploaded (a small synchronous copy) only when it changed.
    private void UploadTable(ReadOnlySpan<TensorView> theta, ReadOnlySpan<TensorView> grad, ReadOnlySpan<TensorView> blocks)
    {
        bool changed = !_tabUploaded;
        for (int i = 0; i < _k; i++)
        {
            ulong t = theta.IsEmpty ? 0 : theta[i].DevicePointer, g = grad.IsEmpty ? 0 : grad[i].DevicePointer, b = blocks[i].DevicePointer;
            if (_tab[i].Theta != t || _tab[i].Grad != g || _tab[i].Block != b) changed = true;
            _tab[i].Theta = t;
            _tab[i].Grad = g;
            _tab[i].Block = b;
        }
        if (!changed) return;
        _backend.CopyFromHost(MemoryMarshal.Cast<Desc, float>(_tab), _tabBuf.View);
        _tabUploaded = true;
    }

    private void UploadPacks()
    {
        if (!_packsDirty) return;
        _backend.CopyFromHost(_hostPacks, _packs.View);
        _packsDirty = false;
    }

    // The group mask as a device pointer: 0 (null, every group steps) when all are active.
    private ulong UploadActive(ReadOnlySpan<bool> active)
    {
        if (active.IsEmpty || !active.Contains(false)) return 0;
        if (active.Length != _groupCount)
            throw new ArgumentException($"'active' has {active.Length} flags, the step has {_groupCount} groups.", nameof(active));
        bool changed = !_activeUploaded;
        for (int q = 0; q < _groupCount; q++)
        {
            int v = active[q] ? 1 : 0;
            if (_active[q] != v) changed = true;
            _active[q] = v;
        }
        if (changed) _backend.CopyFromHost(MemoryMarshal.Cast<int, float>(_active), _activeBuf.View);
        _activeUploaded = true;
        return _activeBuf.View.DevicePointer;
    }

    public void Dispose()
    {
        foreach (var b in new[] { _packs, _tabBuf, _chunkK, _groupFirst, _activeBuf, _bad, _skipped, _counters, _ck, _partials }) b.Dispose();
    }
}
