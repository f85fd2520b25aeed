using System.Runtime.InteropServices;
using LearnedOpt.Backends;
using LearnedOpt.Cuda;

namespace LearnedOpt.Optimizers.Hrnn;

/// <summary>
/// The HRNN step on CUDA (native/kernels/hrnn.cu): four launches per step whatever the tensor
/// count (scan, pass A, small, pass B), driven by a tensor table and a chunk table on the device.
/// The chunk table is fixed by the tensor sizes; the tensor table is re-uploaded only when the
/// caller's pointers change.
/// </summary>
internal sealed unsafe class CudaHrnnKernels : IHrnnKernels
{
    private const string File = "hrnn.cu";
    private const int Chunk = 1024, Threads = 256, Sums = 24, I1 = 22, SharedLimitBytes = 48 * 1024;

    /// <summary>Mirror of <c>lopt_hrnn_desc</c> (lopt_hrnn.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Desc
    {
        public ulong Theta, Grad, Block;
        public long N;
        public int Chunk0, NChunks;
    }

    private readonly CudaBackend _backend;
    private readonly int _h1, _h2, _k, _chunks;
    private readonly uint _smallShared;
    private readonly Desc[] _tab;
    private readonly DeviceBuffer _pack, _tabBuf, _chunkK, _bad, _skipped, _counters, _ck, _partials;
    private readonly CudaFunction _scan, _passA, _small, _passB, _ellSums, _prepare;
    private bool _tabUploaded;

    public CudaHrnnKernels(CudaBackend backend, HrnnWeights weights, long[] lengths)
    {
        _backend = backend;
        _h1 = weights.H1;
        _h2 = weights.H2;
        _k = lengths.Length;
        long sharedFloats = Math.Max((long)(Threads / 32) * (I1 + 3 * _h1), _h1 + 3L * _h2);
        if (sharedFloats * sizeof(float) > SharedLimitBytes)
            throw new NotSupportedException($"HRNN sizes H1 = {_h1}, H2 = {_h2} need {sharedFloats * sizeof(float)} bytes of shared memory in the CUDA small-cell kernel; at most {SharedLimitBytes} are supported.");
        _smallShared = (uint)(sharedFloats * sizeof(float));

        _tab = new Desc[_k];
        var chunkK = new List<int>();
        for (int i = 0; i < _k; i++)
        {
            int n = checked((int)((lengths[i] + Chunk - 1) / Chunk));
            _tab[i] = new Desc { N = lengths[i], Chunk0 = chunkK.Count, NChunks = n };
            for (int c = 0; c < n; c++) chunkK.Add(i);
        }
        _chunks = chunkK.Count;

        _scan = backend.GetFunction(File, "lopt_hrnn_scan");
        _passA = backend.GetFunction(File, "lopt_hrnn_pass_a");
        _small = backend.GetFunction(File, "lopt_hrnn_small");
        _passB = backend.GetFunction(File, "lopt_hrnn_pass_b");
        _ellSums = backend.GetFunction(File, "lopt_hrnn_ell_sums");
        _prepare = backend.GetFunction(File, "lopt_hrnn_prepare");

        var pack = weights.Pack();
        _pack = backend.Allocate(pack.Length);
        backend.CopyFromHost(pack, _pack.View);
        _tabBuf = backend.Allocate(_k * sizeof(Desc) / sizeof(float));
        _chunkK = backend.Allocate(Math.Max(_chunks, 1));
        backend.CopyFromHost(MemoryMarshal.Cast<int, float>(chunkK.ToArray()), new TensorView(_chunkK.View.Address, _chunks, _chunkK.View.Location));
        _bad = backend.Allocate(_k);          // int per tensor, zeroed
        _skipped = backend.Allocate(_k);      // int per tensor
        _counters = backend.Allocate(4);      // two u64
        _ck = backend.Allocate(_k);
        _partials = backend.Allocate((long)Math.Max(_chunks, 1) * Sums);
    }

    public void Prepare(ReadOnlySpan<TensorView> blocks, HrnnSharedViews shared)
    {
        UploadTable(default, default, blocks);
        ulong tab = _tabBuf.View.DevicePointer, chunkK = _chunkK.View.DevicePointer, partials = _partials.View.DevicePointer;
        if (_chunks > 0)
        {
            var a = stackalloc void*[] { &tab, &chunkK, &partials };
            _backend.Launch(_ellSums, (uint)_chunks, Threads, a);
        }
        ulong pack = _pack.View.DevicePointer, s = shared.S.DevicePointer, g = shared.G.DevicePointer, e0 = shared.E0.DevicePointer,
              etg = shared.Etg.DevicePointer, ell = shared.EllMean.DevicePointer, mu = shared.Mu.DevicePointer;
        int h1 = _h1, h2 = _h2, k = _k;
        var b = stackalloc void*[] { &pack, &h1, &h2, &k, &tab, &partials, &s, &g, &e0, &etg, &ell, &mu };
        _backend.Launch(_prepare, 1, Threads, b);
    }

    public void Step(ReadOnlySpan<TensorView> theta, ReadOnlySpan<TensorView> grad, ReadOnlySpan<TensorView> blocks, HrnnSharedViews shared)
    {
        UploadTable(theta, grad, blocks);
        ulong tab = _tabBuf.View.DevicePointer, chunkK = _chunkK.View.DevicePointer, bad = _bad.View.DevicePointer,
              skipped = _skipped.View.DevicePointer, counters = _counters.View.DevicePointer, ck = _ck.View.DevicePointer,
              partials = _partials.View.DevicePointer, pack = _pack.View.DevicePointer;
        ulong s = shared.S.DevicePointer, g = shared.G.DevicePointer, e0 = shared.E0.DevicePointer, etg = shared.Etg.DevicePointer,
              ell = shared.EllMean.DevicePointer, mu = shared.Mu.DevicePointer;
        int h1 = _h1, h2 = _h2, k = _k;
        if (_chunks > 0)
        {
            var scan = stackalloc void*[] { &tab, &chunkK, &bad };
            _backend.Launch(_scan, (uint)_chunks, Threads, scan);
            var a = stackalloc void*[] { &pack, &tab, &chunkK, &bad, &e0, &mu, &partials };
            _backend.Launch(_passA, (uint)_chunks, Threads, a);
        }
        var small = stackalloc void*[] { &pack, &h1, &h2, &k, &tab, &partials, &bad, &skipped, &counters, &s, &g, &e0, &etg, &ell, &mu, &ck };
        _backend.Launch(_small, 1, Threads, small, _smallShared);
        if (_chunks > 0)
        {
            var b = stackalloc void*[] { &tab, &chunkK, &skipped, &ck };
            _backend.Launch(_passB, (uint)_chunks, Threads, b);
        }
    }

    public HrnnSkipCounters ReadCounters()
    {
        var counters = new float[4];
        _backend.CopyToHost(_counters.View, counters);
        var flags = new float[_k];
        _backend.CopyToHost(_skipped.View, flags);
        var c = MemoryMarshal.Cast<float, long>(counters);
        var f = MemoryMarshal.Cast<float, int>(flags);
        var last = new bool[_k];
        for (int i = 0; i < _k; i++) last[i] = f[i] != 0;
        return new HrnnSkipCounters(c[0], c[1], last);
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

    public void Dispose()
    {
        foreach (var b in new[] { _pack, _tabBuf, _chunkK, _bad, _skipped, _counters, _ck, _partials }) b.Dispose();
    }
}
