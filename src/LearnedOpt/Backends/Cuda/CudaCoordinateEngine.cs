using System.Runtime.InteropServices;
using LearnedOpt.Cuda;
using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Interop;

namespace LearnedOpt.Backends.Cuda;

/// <summary>
/// The per-coordinate work on a GPU in float64: states, tapes, checkpoints and state adjoints in
/// device memory (arena buffers of a <see cref="CudaBackend"/>, borrowed, not disposed), the
/// kernels of hrnn_grad.cu. Every tensor of every problem of a step goes in one launch per phase (a
/// table of jobs, each owning a range of blocks and carrying its problem's μ, λ and ℓ adjoint); the
/// single-tensor entry points launch one tensor. Per call the
/// small host arrays cross in one upload (the table, e0, the means' adjoints, g, d̄, ā) and one
/// download (d, a or ḡ, and the sums, which a kernel adds from each tensor's block rows in block
/// order). All reductions have a fixed order, so results repeat bit for bit on one device; they
/// match the CPU engine to rounding. Calls are serialized (one staging area), so concurrent
/// unrolls are safe but do not overlap.
/// </summary>
internal sealed unsafe class CudaCoordinateEngine : HrnnCoordinateEngine
{
    /// <summary>Threads per block of the hrnn_grad.cu kernels (LOPT_HG_BLOCK; they trap on any other).</summary>
    private const int Block = NativeConstants.HgBlock;

    private const string File = "hrnn_grad.cu";
    private static readonly int F = HrnnParameters.F, H0 = HrnnParameters.H0;
    private readonly CudaBackend _gpu;
    private readonly CudaFunction _forward, _backward, _addEll, _sumRows;
    private readonly CudaFunction _forwardTable, _backwardTable, _ellSumTable, _addEllTable, _sumRowsTable;
    private readonly object _sync = new();
    private DeviceBuffer? _up, _down, _rows;
    private long _bytesUp, _bytesDown, _launches;
    private bool _disposed;

    public CudaCoordinateEngine(CudaBackend gpu)
    {
        _gpu = gpu ?? throw new ArgumentNullException(nameof(gpu));
        _forward = gpu.GetFunction(File, "lopt_hg_forward_f64");
        _backward = gpu.GetFunction(File, "lopt_hg_backward_f64");
        _addEll = gpu.GetFunction(File, "lopt_hg_add_ell_f64");
        _sumRows = gpu.GetFunction(File, "lopt_hg_sum_rows_f64");
        _forwardTable = gpu.GetFunction(File, "lopt_hg_forward_table_f64");
        _backwardTable = gpu.GetFunction(File, "lopt_hg_backward_table_f64");
        _ellSumTable = gpu.GetFunction(File, "lopt_hg_ell_sum_table_f64");
        _addEllTable = gpu.GetFunction(File, "lopt_hg_add_ell_table_f64");
        _sumRowsTable = gpu.GetFunction(File, "lopt_hg_sum_rows_table_f64");
    }

    public CudaBackend Backend => _gpu;

    public override IBackend? Device => _gpu;

    public override string Description => $"{_gpu.Description}, hrnn_grad.cu float64";

    public override bool IsThreadSafe => true;

    /// <summary>Host↔device traffic and kernel launches so far (for benchmarks: what the unroll pays per step).</summary>
    public Traffic Transfers
    {
        get
        {
            lock (_sync) return new Traffic(_bytesUp, _bytesDown, _launches);
        }
    }

    /// <summary>Bytes copied to the device, bytes copied back, kernels launched.</summary>
    public readonly record struct Traffic(long BytesToDevice, long BytesToHost, long Launches);

    public override CoordinateTensor Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return new DeviceTensor(this, length, Doubles(checked((long)length * State)));
        }
    }

    public override void Upload(ReadOnlySpan<double> values, CoordinateTensor destination)
    {
        var t = Own<DeviceTensor>(destination, -1, nameof(destination));
        if (values.Length != t.Values) throw new ArgumentException($"{values.Length} values for {t.Length} coordinates; expected {t.Values}.", nameof(values));
        lock (_sync) Up(values, t.Pointer);
    }

    public override void Download(CoordinateTensor source, Span<double> values)
    {
        var t = Own<DeviceTensor>(source, -1, nameof(source));
        if (values.Length != t.Values) throw new ArgumentException($"{values.Length} values for {t.Length} coordinates; expected {t.Values}.", nameof(values));
        lock (_sync) Down(t.Pointer, values);
    }

    public override void Copy(CoordinateTensor source, CoordinateTensor destination)
    {
        var s = Own<DeviceTensor>(source, -1, nameof(source));
        var d = Own<DeviceTensor>(destination, s.Length, nameof(destination));
        if (s.Values == 0 || ReferenceEquals(s, d)) return;
        lock (_sync)
        {
            _gpu.Copy(TensorView.Device(d.Pointer, 2 * s.Values), TensorView.Device(s.Pointer, 2 * s.Values));
            _launches++;
        }
    }

    public override double EllSum(IReadOnlyList<CoordinateTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        return EllSums([tensors])[0];
    }

    // Every non-empty tensor of every group in one launch; each tensor's sum comes back and the host
    // adds a group's tensors in order (so a group's sum does not depend on the other groups).
    public override double[] EllSums(IReadOnlyList<IReadOnlyList<CoordinateTensor>> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var own = new List<(int Group, DeviceTensor Tensor)>();
        for (int q = 0; q < groups.Count; q++)
        {
            ArgumentNullException.ThrowIfNull(groups[q], nameof(groups));
            foreach (var t in groups[q])
            {
                var d = Own<DeviceTensor>(t, -1, nameof(groups));
                if (d.Length > 0) own.Add((q, d));
            }
        }
        var sums = new double[groups.Count];
        if (own.Count == 0) return sums;
        var plan = Plan(own.Select(t => (long)t.Tensor.Length).ToArray());
        var host = new double[plan.Words];
        var perTensor = new double[own.Count];
        lock (_sync)
        {
            ulong up = Scratch(ref _up, host.Length), down = Scratch(ref _down, own.Count), rows = Scratch(ref _rows, plan.Blocks);
            for (int j = 0; j < own.Count; j++) plan.Jobs[j].In = own[j].Tensor.Pointer;
            plan.Write(host);
            Up(host, up);
            int count = own.Count;
            var args = stackalloc void*[] { &up, &count, &rows };
            Launch(_ellSumTable, (uint)plan.Blocks, args);
            SumRowsTable(rows, up, count, 1, down);
            Down(down, perTensor);
        }
        for (int j = 0; j < own.Count; j++) sums[own[j].Group] += perTensor[j];
        return sums;
    }

    public override void AddToEll(CoordinateTensor adjoint, double value)
    {
        var t = Own<DeviceTensor>(adjoint, -1, nameof(adjoint));
        long n = t.Length;
        if (n == 0) return;
        lock (_sync)
        {
            ulong bar = t.Pointer;
            var args = stackalloc void*[] { &bar, &value, &n };
            Launch(_addEll, Grid(n), args);
        }
    }

    public override CoordinateWeights Place(double[] pack)
    {
        CheckPack(pack);
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var buffer = Doubles(pack.Length);
            Up(pack, buffer.View.DevicePointer);
            return new DeviceWeights(this, buffer);
        }
    }

    public override void Forward(CoordinateWeights w, double[] e0, double mu, double lambda, double[] g, CoordinateTensor input,
                                 CoordinateTensor output, double[] d, double[] a, double[] sums)
    {
        ulong pw = Own<DeviceWeights>(w).Pointer;
        var inp = Own<DeviceTensor>(input, -1, nameof(input));
        var outp = Own<DeviceTensor>(output, inp.Length, nameof(output));
        if (ReferenceEquals(inp, outp)) throw new ArgumentException("input and output must be distinct tensors.", nameof(output));
        int n = inp.Length;
        CheckForward(e0, g, d, a, sums, n);
        if (n == 0)
        {
            Array.Clear(sums);
            return;
        }
        // Up: [e0 | g]; down: [d | a | sums].
        var host = new double[G0 + n];
        e0.CopyTo(host, 0);
        g.CopyTo(host, G0);
        var result = new double[2L * n + Sums];
        lock (_sync)
        {
            uint grid = Grid(n);
            ulong up = Scratch(ref _up, host.Length), down = Scratch(ref _down, result.Length), rows = Scratch(ref _rows, (long)grid * Sums);
            Up(host, up);
            ulong pe = up, pg = At(up, G0), pin = inp.Pointer, pout = outp.Pointer, pd = down, pa = At(down, n);
            long nn = n;
            var args = stackalloc void*[] { &pw, &pe, &mu, &lambda, &pg, &pin, &pout, &pd, &pa, &rows, &nn };
            Launch(_forward, grid, args);
            SumRows(rows, grid, Sums, At(down, 2L * n));
            Down(down, result);
        }
        Array.Copy(result, 0, d, 0, n);
        Array.Copy(result, n, a, 0, n);
        Array.Copy(result, 2L * n, sums, 0, Sums);
    }

    public override void Backward(CoordinateWeights w, double[] e0, double mu, double lambda, double[] g, CoordinateTensor input,
                                  CoordinateTensor adjoint, double[] xAdd, double[] hAdd, double[] dBar, double[] aBar, double[] gBar, double[] acc)
    {
        ulong pw = Own<DeviceWeights>(w).Pointer;
        var inp = Own<DeviceTensor>(input, -1, nameof(input));
        var bar = Own<DeviceTensor>(adjoint, inp.Length, nameof(adjoint));
        int n = inp.Length;
        CheckBackward(e0, g, xAdd, hAdd, dBar, aBar, gBar, acc, n);
        if (n == 0) return;
        // Up: [e0 | x̄ add | h̄ add | g | d̄ | ā]; down: [ḡ | sums].
        int offG = G0 + F + H0;
        var host = new double[offG + 3L * n];
        e0.CopyTo(host, 0);
        xAdd.CopyTo(host, G0);
        hAdd.CopyTo(host, G0 + F);
        g.CopyTo(host, offG);
        dBar.CopyTo(host, offG + n);
        aBar.CopyTo(host, offG + 2L * n);
        var result = new double[n + Accumulators];
        lock (_sync)
        {
            uint grid = Grid(n);
            ulong up = Scratch(ref _up, host.Length), down = Scratch(ref _down, result.Length), rows = Scratch(ref _rows, (long)grid * Accumulators);
            Up(host, up);
            ulong pe = up, pxa = At(up, G0), pha = At(up, G0 + F), pg = At(up, offG), pdb = At(up, offG + n), pab = At(up, offG + 2L * n);
            ulong pin = inp.Pointer, pbar = bar.Pointer, pgb = down;
            long nn = n;
            var args = stackalloc void*[] { &pw, &pe, &mu, &lambda, &pg, &pin, &pbar, &pxa, &pha, &pdb, &pab, &pbar, &pgb, &rows, &nn };
            Launch(_backward, grid, args);
            SumRows(rows, grid, Accumulators, At(down, n));
            Down(down, result);
        }
        Array.Copy(result, 0, gBar, 0, n);
        for (int j = 0; j < Accumulators; j++) acc[j] += result[n + j];
    }

    public override void AddToEll(IReadOnlyList<EllJob> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var own = jobs.Select(j => (Tensor: Own<DeviceTensor>(j.Adjoint, -1, nameof(jobs)), j.Value)).Where(x => x.Tensor.Length > 0).ToArray();
        if (own.Length == 0) return;
        var plan = Plan(own.Select(x => (long)x.Tensor.Length).ToArray());
        var host = new double[plan.Words];
        lock (_sync)
        {
            ulong up = Scratch(ref _up, host.Length);
            for (int j = 0; j < own.Length; j++)
            {
                plan.Jobs[j].Io = own[j].Tensor.Pointer;
                plan.Jobs[j].Ell = own[j].Value;
            }
            plan.Write(host);
            Up(host, up);
            int count = own.Length;
            var args = stackalloc void*[] { &up, &count };
            Launch(_addEllTable, (uint)plan.Blocks, args);
        }
    }

    public override void ForwardAll(CoordinateWeights w, IReadOnlyList<ForwardJob> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ulong pw = Own<DeviceWeights>(w).Pointer;
        var live = new List<(ForwardJob Job, DeviceTensor In, DeviceTensor Out)>();
        foreach (var j in jobs)
        {
            var inp = Own<DeviceTensor>(j.Input, -1, nameof(jobs));
            var outp = Own<DeviceTensor>(j.Output, inp.Length, nameof(jobs));
            if (ReferenceEquals(inp, outp)) throw new ArgumentException("A job's input and output must be distinct tensors.", nameof(jobs));
            CheckForward(j.E0, j.G, j.D, j.A, j.Sums, inp.Length);
            if (inp.Length == 0) Array.Clear(j.Sums);
            else live.Add((j, inp, outp));
        }
        if (live.Count == 0) return;
        int count = live.Count;
        var plan = Plan(live.Select(x => (long)x.In.Length).ToArray());
        // Up: [table | per job: e0, g]; down: [per job: d, a | sums of every job].
        long upLength = plan.Words + live.Sum(x => (long)G0 + x.In.Length), downLength = live.Sum(x => 2L * x.In.Length) + (long)count * Sums;
        var host = new double[upLength];
        var result = new double[downLength];
        lock (_sync)
        {
            ulong up = Scratch(ref _up, upLength), down = Scratch(ref _down, downLength), rows = Scratch(ref _rows, (long)plan.Blocks * Sums);
            long u = plan.Words, dn = 0;
            for (int j = 0; j < count; j++)
            {
                var (job, inp, outp) = live[j];
                int n = inp.Length;
                job.E0.CopyTo(host, u);
                job.G.CopyTo(host, u + G0);
                plan.Jobs[j].E0 = At(up, u);
                plan.Jobs[j].G = At(up, u + G0);
                plan.Jobs[j].In = inp.Pointer;
                plan.Jobs[j].Io = outp.Pointer;
                plan.Jobs[j].D = At(down, dn);
                plan.Jobs[j].A = At(down, dn + n);
                plan.Jobs[j].Mu = job.Mu;
                plan.Jobs[j].Lambda = job.Lambda;
                u += G0 + n;
                dn += 2L * n;
            }
            plan.Write(host);
            Up(host, up);
            var args = stackalloc void*[] { &pw, &up, &count, &rows };
            Launch(_forwardTable, (uint)plan.Blocks, args);
            SumRowsTable(rows, up, count, Sums, At(down, dn));
            Down(down, result);
        }
        long r = 0, s = downLength - (long)count * Sums;
        for (int j = 0; j < count; j++)
        {
            var (job, inp, _) = live[j];
            int n = inp.Length;
            Array.Copy(result, r, job.D, 0, n);
            Array.Copy(result, r + n, job.A, 0, n);
            Array.Copy(result, s + (long)j * Sums, job.Sums, 0, Sums);
            r += 2L * n;
        }
    }

    public override void BackwardAll(CoordinateWeights w, IReadOnlyList<BackwardJob> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ulong pw = Own<DeviceWeights>(w).Pointer;
        var live = new List<(BackwardJob Job, DeviceTensor In, DeviceTensor Bar)>();
        foreach (var j in jobs)
        {
            var inp = Own<DeviceTensor>(j.Input, -1, nameof(jobs));
            var bar = Own<DeviceTensor>(j.Adjoint, inp.Length, nameof(jobs));
            CheckBackward(j.E0, j.G, j.XAdd, j.HAdd, j.DBar, j.ABar, j.GBar, j.Acc, inp.Length);
            if (inp.Length > 0) live.Add((j, inp, bar));
        }
        if (live.Count == 0) return;
        int count = live.Count, head = G0 + F + H0;
        var plan = Plan(live.Select(x => (long)x.In.Length).ToArray());
        // Up: [table | per job: e0, x̄ add, h̄ add, g, d̄, ā]; down: [per job: ḡ | sums of every job].
        long upLength = plan.Words + live.Sum(x => head + 3L * x.In.Length), downLength = live.Sum(x => (long)x.In.Length) + (long)count * Accumulators;
        var host = new double[upLength];
        var result = new double[downLength];
        lock (_sync)
        {
            ulong up = Scratch(ref _up, upLength), down = Scratch(ref _down, downLength), rows = Scratch(ref _rows, (long)plan.Blocks * Accumulators);
            long u = plan.Words, dn = 0;
            for (int j = 0; j < count; j++)
            {
                var (job, inp, bar) = live[j];
                int n = inp.Length;
                job.E0.CopyTo(host, u);
                job.XAdd.CopyTo(host, u + G0);
                job.HAdd.CopyTo(host, u + G0 + F);
                job.G.CopyTo(host, u + head);
                job.DBar.CopyTo(host, u + head + n);
                job.ABar.CopyTo(host, u + head + 2L * n);
                ref var e = ref plan.Jobs[j];
                e.E0 = At(up, u);
                e.XAdd = At(up, u + G0);
                e.HAdd = At(up, u + G0 + F);
                e.G = At(up, u + head);
                e.D = At(up, u + head + n);
                e.A = At(up, u + head + 2L * n);
                e.In = inp.Pointer;
                e.Io = bar.Pointer;
                e.GBar = At(down, dn);
                e.Mu = job.Mu;
                e.Lambda = job.Lambda;
                u += head + 3L * n;
                dn += n;
            }
            plan.Write(host);
            Up(host, up);
            var args = stackalloc void*[] { &pw, &up, &count, &rows };
            Launch(_backwardTable, (uint)plan.Blocks, args);
            SumRowsTable(rows, up, count, Accumulators, At(down, dn));
            Down(down, result);
        }
        long r = 0, s = downLength - (long)count * Accumulators;
        for (int j = 0; j < count; j++)
        {
            var (job, inp, _) = live[j];
            Array.Copy(result, r, job.GBar, 0, inp.Length);
            for (int k = 0; k < Accumulators; k++) job.Acc[k] += result[s + (long)j * Accumulators + k];
            r += inp.Length;
        }
    }

    public override void Dispose()
    {
        lock (_sync)
        {
            if (_disposed) return;
            _disposed = true;
            _up?.Dispose();
            _down?.Dispose();
            _rows?.Dispose();
        }
        base.Dispose();
    }

    // Blocks for n coordinates: a grid-stride loop, at most one per 128 coordinates.
    private uint Grid(long n) => _gpu.GridFor(n, Block);

    private static ulong At(ulong basePointer, long doubles) => basePointer + (ulong)(doubles * sizeof(double));

    // out[j] = Σ_r rows[r·width + j] in block order, on the device.
    private void SumRows(ulong rows, uint count, int width, ulong output)
    {
        int c = checked((int)count), wd = width;
        var args = stackalloc void*[] { &rows, &c, &wd, &output };
        Launch(_sumRows, (uint)((width + Block - 1) / Block), args);
    }

    // out[j·width + c] = Σ over job j's block rows, in block order, on the device (jobs: the table in device memory).
    private void SumRowsTable(ulong rows, ulong jobs, int count, int width, ulong output)
    {
        int c = count, wd = width;
        long total = (long)count * width;
        var args = stackalloc void*[] { &rows, &jobs, &c, &wd, &output };
        Launch(_sumRowsTable, (uint)Math.Min((total + Block - 1) / Block, 65535), args);
    }

    // Blocks per tensor for one table launch: about one wave in all, shared by coordinate count, at
    // least one and at most one per 128 coordinates per tensor; tensor j owns [First, First + Blocks).
    private TablePlan Plan(long[] lengths)
    {
        long total = lengths.Sum();
        long wave = Grid(total);
        var jobs = new Job[lengths.Length];
        long first = 0;
        for (int j = 0; j < lengths.Length; j++)
        {
            long most = (lengths[j] + Block - 1) / Block;
            long blocks = Math.Clamp((wave * lengths[j] + total - 1) / total, 1, most);
            jobs[j] = new Job { N = lengths[j], FirstBlock = checked((int)first), Blocks = (int)blocks };
            first += blocks;
        }
        return new TablePlan(jobs, checked((int)first));
    }

    /// <summary>
    /// The device layout of struct lopt_hg_job in lopt_hrnn_grad.h (112 bytes: nine pointers, n, first
    /// block, blocks, then the job's problem's μ, λ and ℓ adjoint).
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Job
    {
        public ulong E0, G, In, Io, D, A, XAdd, HAdd, GBar;
        public long N;
        public int FirstBlock, Blocks;
        public double Mu, Lambda, Ell;
    }

    private sealed record TablePlan(Job[] Jobs, int Blocks)
    {
        /// <summary>Doubles the table takes at the start of the upload.</summary>
        public int Words => Jobs.Length * sizeof(Job) / sizeof(double);

        public void Write(double[] host) => MemoryMarshal.Cast<Job, double>(Jobs.AsSpan()).CopyTo(host);
    }

    // Float64 device memory: the backend allocates float32 elements, so twice as many.
    private DeviceBuffer Doubles(long count) => _gpu.Allocate(2 * Math.Max(count, 1));

    private ulong Scratch(ref DeviceBuffer? buffer, long doubles)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer == null || buffer.Length < 2 * doubles)
        {
            buffer?.Dispose();
            buffer = null;
            buffer = Doubles(Math.Max(doubles, 1024));
        }
        return buffer.View.DevicePointer;
    }

    // Callers hold _sync.
    private void Up(ReadOnlySpan<double> values, ulong device)
    {
        _gpu.CopyFromHost(MemoryMarshal.Cast<double, float>(values), TensorView.Device(device, 2L * values.Length));
        _bytesUp += (long)values.Length * sizeof(double);
    }

    private void Down(ulong device, Span<double> values)
    {
        _gpu.CopyToHost(TensorView.Device(device, 2L * values.Length), MemoryMarshal.Cast<double, float>(values));
        _bytesDown += (long)values.Length * sizeof(double);
    }

    private void Launch(CudaFunction function, uint grid, void** args)
    {
        _gpu.Launch(function, grid, (uint)Block, args);
        _launches++;
    }

    private void Release(DeviceBuffer buffer)
    {
        lock (_sync) buffer.Dispose();
    }

    private sealed class DeviceTensor(CudaCoordinateEngine owner, int length, DeviceBuffer buffer) : CoordinateTensor(owner, length)
    {
        public ulong Pointer => buffer.View.DevicePointer;

        public override void Dispose() => owner.Release(buffer);
    }

    private sealed class DeviceWeights(CudaCoordinateEngine owner, DeviceBuffer buffer) : CoordinateWeights(owner)
    {
        public ulong Pointer => buffer.View.DevicePointer;

        public override void Dispose() => owner.Release(buffer);
    }
}
