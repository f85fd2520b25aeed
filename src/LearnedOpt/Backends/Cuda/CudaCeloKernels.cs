using System.Runtime.InteropServices;
using LearnedOpt.Cuda;
using LearnedOpt.Interop;
using LearnedOpt.Optimizers.Celo;

namespace LearnedOpt.Backends.Cuda;

/// <summary>
/// The Celo step on CUDA (native/kernels/celo.cu): eight launches per step whatever the tensor
/// count, driven by a tensor table and a chunk table on the device; the multiplier s and every
/// per-tensor statistic stay on the device (no host synchronisation inside a step).
/// </summary>
internal sealed unsafe class CudaCeloKernels : ICeloKernels
{
    private const string File = "celo.cu";
    private const int Chunk = 2048, Threads = 256; // CELO_CHUNK, CELO_THREADS

    private readonly CudaBackend _backend;
    private readonly LoptCeloTensor[] _tab;
    private readonly int _k, _chunks, _phase;
    private readonly long _fibers, _rowMeans, _totalSteps;
    private readonly DeviceBuffer _tabBuf, _chunkK, _bad, _counters, _partials, _stats, _skipped, _global, _mlp, _sched;
    private readonly CudaFunction _schedule, _scan, _passA, _fiberKernel, _rowMeanKernel, _moments, _finalize, _passC, _init;
    private bool _tabUploaded;
    private long _calls;

    public CudaCeloKernels(CudaBackend backend, CeloWeights weights, IReadOnlyList<CeloTensorLayout> layouts, long totalSteps, int phase)
    {
        _backend = backend;
        _totalSteps = totalSteps;
        _phase = phase;
        _k = layouts.Count;
        _tab = new LoptCeloTensor[_k];
        var chunkK = new List<int>();
        long fibers = 0, rowMeans = 0;
        for (int i = 0; i < _k; i++)
        {
            var l = layouts[i];
            _tab[i] = CeloTables.Descriptor(l);
            int n = checked((int)((l.Length + Chunk - 1) / Chunk));
            _tab[i].Chunk0 = chunkK.Count;
            _tab[i].NChunks = n;
            for (int c = 0; c < n; c++) chunkK.Add(i);
            _tab[i].Fiber0 = checked((int)fibers);
            _tab[i].RowMean0 = checked((int)rowMeans);
            fibers += l.Rows + l.Cols;
            rowMeans += l.RowMeans;
        }
        _chunks = chunkK.Count;
        _fibers = fibers;
        _rowMeans = rowMeans;

        _schedule = backend.GetFunction(File, "lopt_celo_schedule_kernel");
        _scan = backend.GetFunction(File, "lopt_celo_scan");
        _passA = backend.GetFunction(File, "lopt_celo_pass_a");
        _fiberKernel = backend.GetFunction(File, "lopt_celo_fibers");
        _rowMeanKernel = backend.GetFunction(File, "lopt_celo_row_means");
        _moments = backend.GetFunction(File, "lopt_celo_moments");
        _finalize = backend.GetFunction(File, "lopt_celo_finalize");
        _passC = backend.GetFunction(File, "lopt_celo_pass_c");
        _init = backend.GetFunction(File, "lopt_celo_init_kernel");

        _tabBuf = backend.Allocate(Math.Max(1, (long)_k * LoptCeloNative.TensorBytes / sizeof(float)));
        _chunkK = backend.Allocate(Math.Max(_chunks, 1));
        if (_chunks > 0) backend.CopyFromHost(MemoryMarshal.Cast<int, float>(chunkK.ToArray()), new TensorView(_chunkK.View.Address, _chunks, _chunkK.View.Location));
        _bad = Zeroed(2L * _k);                                  // int [2][K]
        _counters = Zeroed(4);                                    // u64 nonfinite entries, u64 skipped tensor-steps
        _partials = backend.Allocate(2L * Math.Max(_chunks, 1) * CeloWeights.Features); // double per chunk and column
        _stats = backend.Allocate((long)Math.Max(_k, 1) * LoptCeloNative.TensorStats);
        _skipped = Zeroed(_k);
        _global = backend.Allocate(2L * LoptCeloNative.GlobalDoubles);
        _mlp = Upload(weights.MlpPack());
        _sched = Upload(weights.SchedulerPack());
        ulong s = _sched.View.DevicePointer, g = _global.View.DevicePointer;
        var a = stackalloc void*[] { &s, &g };
        _backend.Launch(_init, 1, 1, a);
    }

    private DeviceBuffer Upload(float[] host)
    {
        var b = _backend.Allocate(host.Length);
        _backend.CopyFromHost(host, b.View);
        return b;
    }

    private DeviceBuffer Zeroed(long floats) => Upload(new float[Math.Max(floats, 1)]);

    public void Step(ReadOnlySpan<TensorView> parameters, ReadOnlySpan<TensorView> gradients, ReadOnlySpan<TensorView> states, float loss, long step)
    {
        UploadTable(parameters, gradients, states);
        ulong tab = _tabBuf.View.DevicePointer, chunkK = _chunkK.View.DevicePointer, bad = _bad.View.DevicePointer,
              counters = _counters.View.DevicePointer, partials = _partials.View.DevicePointer, stats = _stats.View.DevicePointer,
              skipped = _skipped.View.DevicePointer, global = _global.View.DevicePointer, mlp = _mlp.View.DevicePointer, sched = _sched.View.DevicePointer;
        int count = _k, parity = (int)(_calls & 1), phase = _phase;
        long total = _totalSteps, fibers = _fibers, rowMeans = _rowMeans;
        float l = loss;
        var sa = stackalloc void*[] { &sched, &global, &l, &step, &total, &phase };
        _backend.Launch(_schedule, 1, 1, sa);
        if (_chunks > 0)
        {
            var scan = stackalloc void*[] { &tab, &chunkK, &count, &bad, &parity, &counters };
            _backend.Launch(_scan, (uint)_chunks, Threads, scan);
            var a = stackalloc void*[] { &tab, &chunkK, &count, &bad, &parity };
            _backend.Launch(_passA, (uint)_chunks, Threads, a);
        }
        if (_fibers > 0)
        {
            var f = stackalloc void*[] { &tab, &count, &fibers, &bad, &parity };
            _backend.Launch(_fiberKernel, (uint)((_fibers + Threads - 1) / Threads), Threads, f);
        }
        if (_rowMeans > 0)
        {
            var r = stackalloc void*[] { &tab, &count, &rowMeans, &bad, &parity };
            _backend.Launch(_rowMeanKernel, (uint)((_rowMeans + Threads - 1) / Threads), Threads, r);
        }
        if (_chunks > 0)
        {
            var m = stackalloc void*[] { &tab, &chunkK, &count, &bad, &parity, &partials };
            _backend.Launch(_moments, (uint)_chunks, Threads, m);
        }
        var fin = stackalloc void*[] { &tab, &count, &bad, &parity, &partials, &stats, &skipped, &counters };
        _backend.Launch(_finalize, (uint)_k, 32, fin);
        if (_chunks > 0)
        {
            var c = stackalloc void*[] { &tab, &chunkK, &count, &bad, &parity, &mlp, &stats, &global };
            _backend.Launch(_passC, (uint)_chunks, Threads, c);
        }
        _calls++;
    }

    public double[] ReadGlobal()
    {
        var host = new float[2 * LoptCeloNative.GlobalDoubles];
        _backend.CopyToHost(_global.View, host);
        return MemoryMarshal.Cast<float, double>(host).ToArray();
    }

    public void WriteGlobal(ReadOnlySpan<double> global)
        => _backend.CopyFromHost(MemoryMarshal.Cast<double, float>(global), _global.View);

    public CeloCounters ReadCounters()
    {
        var c = new float[4];
        _backend.CopyToHost(_counters.View, c);
        var flags = new float[Math.Max(_k, 1)];
        _backend.CopyToHost(_skipped.View, flags);
        var counts = MemoryMarshal.Cast<float, long>(c);
        var f = MemoryMarshal.Cast<float, int>(flags);
        var last = new bool[_k];
        for (int i = 0; i < _k; i++) last[i] = f[i] != 0;
        return new CeloCounters(counts[0], counts[1], last);
    }

    // The tensor table with this call's pointers; uploaded only when a pointer changed.
    private void UploadTable(ReadOnlySpan<TensorView> parameters, ReadOnlySpan<TensorView> gradients, ReadOnlySpan<TensorView> states)
    {
        bool changed = !_tabUploaded;
        for (int i = 0; i < _k; i++)
        {
            ulong p = parameters[i].DevicePointer, g = gradients[i].DevicePointer, s = states[i].DevicePointer;
            if (_tab[i].P != p || _tab[i].G != g || _tab[i].State != s) changed = true;
            _tab[i].P = p;
            _tab[i].G = g;
            _tab[i].State = s;
        }
        if (!changed || _k == 0) return;
        _backend.CopyFromHost(MemoryMarshal.Cast<LoptCeloTensor, float>(_tab), _tabBuf.View);
        _tabUploaded = true;
    }

    public void Dispose()
    {
        foreach (var b in new[] { _tabBuf, _chunkK, _bad, _counters, _partials, _stats, _skipped, _global, _mlp, _sched }) b.Dispose();
    }
}
