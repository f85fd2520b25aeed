using System.Runtime.InteropServices;
using LearnedOpt.Backends;
using LearnedOpt.Cuda;

namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>
/// The per-coordinate work on a GPU in float64: states, tapes, checkpoints and state adjoints in
/// device memory (arena buffers of a <see cref="CudaBackend"/>, borrowed, not disposed), the
/// kernels of hrnn_grad.cu, one tensor per launch. Per call the small host arrays cross in one
/// upload (e0, the means' adjoints, g, d̄, ā) and one download (d, a or ḡ, and the sums, which a
/// kernel adds from the block rows in block order). All reductions have a fixed order, so results
/// repeat bit for bit on one device; they match the CPU engine to rounding. Calls are serialized
/// (one staging area), so concurrent unrolls are safe but do not overlap.
/// </summary>
public sealed unsafe class CudaCoordinateEngine : HrnnCoordinateEngine
{
    /// <summary>Threads per block of the hrnn_grad.cu kernels (LOPT_HG_BLOCK; they trap on any other).</summary>
    public const int Block = 128;

    private const string File = "hrnn_grad.cu";
    private static readonly int F = HrnnParameters.F, H0 = HrnnParameters.H0;
    private readonly CudaBackend _gpu;
    private readonly CudaFunction _forward, _backward, _ellSum, _addEll, _sumRows;
    private readonly object _sync = new();
    private DeviceBuffer? _up, _down, _rows;
    private bool _disposed;

    public CudaCoordinateEngine(CudaBackend gpu)
    {
        _gpu = gpu ?? throw new ArgumentNullException(nameof(gpu));
        _forward = gpu.GetFunction(File, "lopt_hg_forward_f64");
        _backward = gpu.GetFunction(File, "lopt_hg_backward_f64");
        _ellSum = gpu.GetFunction(File, "lopt_hg_ell_sum_f64");
        _addEll = gpu.GetFunction(File, "lopt_hg_add_ell_f64");
        _sumRows = gpu.GetFunction(File, "lopt_hg_sum_rows_f64");
    }

    public CudaBackend Backend => _gpu;

    public override IBackend? Device => _gpu;

    public override string Description => $"{_gpu.Description}, hrnn_grad.cu float64";

    public override bool IsThreadSafe => true;

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
        lock (_sync) _gpu.Copy(TensorView.Device(d.Pointer, 2 * s.Values), TensorView.Device(s.Pointer, 2 * s.Values));
    }

    public override double EllSum(IReadOnlyList<CoordinateTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        double sum = 0;
        for (int t = 0; t < tensors.Count; t++)
        {
            var x = Own<DeviceTensor>(tensors[t], -1, nameof(tensors));
            if (x.Length > 0) sum += EllSum(x);
        }
        return sum;
    }

    // One tensor's Σℓ: block rows, then added in block order on the device.
    private double EllSum(DeviceTensor x)
    {
        var one = new double[1];
        long n = x.Length;
        lock (_sync)
        {
            uint grid = Grid(n);
            ulong rows = Scratch(ref _rows, grid), down = Scratch(ref _down, 1), state = x.Pointer;
            var args = stackalloc void*[] { &state, &rows, &n };
            _gpu.Launch(_ellSum, grid, (uint)Block, args);
            SumRows(rows, grid, 1, down);
            Down(down, one);
        }
        return one[0];
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
            _gpu.Launch(_addEll, Grid(n), (uint)Block, args);
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
            _gpu.Launch(_forward, grid, (uint)Block, args);
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
            _gpu.Launch(_backward, grid, (uint)Block, args);
            SumRows(rows, grid, Accumulators, At(down, n));
            Down(down, result);
        }
        Array.Copy(result, 0, gBar, 0, n);
        for (int j = 0; j < Accumulators; j++) acc[j] += result[n + j];
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
        _gpu.Launch(_sumRows, (uint)((width + Block - 1) / Block), (uint)Block, args);
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

    private void Up(ReadOnlySpan<double> values, ulong device)
        => _gpu.CopyFromHost(MemoryMarshal.Cast<double, float>(values), TensorView.Device(device, 2L * values.Length));

    private void Down(ulong device, Span<double> values)
        => _gpu.CopyToHost(TensorView.Device(device, 2L * values.Length), MemoryMarshal.Cast<double, float>(values));

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
