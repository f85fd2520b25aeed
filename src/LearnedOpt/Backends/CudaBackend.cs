using LearnedOpt.Backends.Cuda;
using LearnedOpt.Cuda;
using LearnedOpt.Interop;

namespace LearnedOpt.Backends;

/// <summary>
/// The CUDA engine: the primary context of one device, one stream that orders all its work, an
/// arena for device memory, and the kernels of native/kernels compiled at run time by NVRTC
/// (the same per-element math as the CPU library). Every entry point makes the context current
/// first, because CUDA contexts are bound per thread and callers may switch threads.
/// </summary>
public sealed unsafe class CudaBackend : IBackend, IDeviceMemoryInfo
{
    private const string OptimFile = "optim.cu";

    private readonly PrimaryContextHandle _context;
    private readonly StreamHandle _stream;
    private readonly DeviceArena _arena;
    private readonly KernelCompiler _compiler;
    private CudaKernels? _kernels;
    private readonly Dictionary<string, CudaModule> _modules = new(StringComparer.Ordinal);
    private readonly CudaFunction[] _optimKernels;
    private readonly CudaFunction _copy;
    private readonly EventHandle _start, _stop;
    private readonly ulong _nonFinite;
    private CudaBlas? _blas;
    private bool _disposed;

    /// <param name="device">Device ordinal.</param>
    /// <param name="stream">A caller's CUstream to run on (borrowed, e.g. PyTorch's current stream); null creates our own.</param>
    /// <param name="compiler">NVRTC compiler and cache; null uses the default cache folder.</param>
    public CudaBackend(int device = 0, nint? stream = null, KernelCompiler? compiler = null)
    {
        Device = CudaDevice.Get(device);
        _context = PrimaryContextHandle.Retain(device);
        var built = new List<IDisposable> { _context };
        try
        {
            _context.MakeCurrent();
            _stream = stream is { } s ? StreamHandle.Borrow(s) : StreamHandle.Create();
            built.Add(_stream);
            _arena = new DeviceArena(new CudaMemorySource(_context));
            built.Add(_arena);
            _start = EventHandle.Create();
            built.Add(_start);
            _stop = EventHandle.Create();
            built.Add(_stop);
            _compiler = compiler ?? new KernelCompiler();
            Target = KernelCompiler.TargetFor(Device.Arch);

            _optimKernels = new CudaFunction[Enum.GetValues<NativeOptimizer>().Length];
            foreach (var kind in Enum.GetValues<NativeOptimizer>())
                _optimKernels[(int)kind] = GetFunction(OptimFile, KernelName(kind));
            _copy = GetFunction(OptimFile, "lopt_copy");

            _nonFinite = _arena.Allocate(sizeof(ulong));
            CudaException.ThrowIfFailed(CudaDriver.cuMemsetD8Async(_nonFinite, 0, sizeof(ulong), _stream.DangerousGetHandle()), "cuMemsetD8Async");
        }
        catch
        {
            foreach (var m in _modules.Values) m.Dispose();
            for (int i = built.Count - 1; i >= 0; i--) built[i].Dispose();
            throw;
        }
    }

    IBackendKernels IBackend.Kernels => _kernels ??= new CudaKernels(this);

    public BackendKind Kind => BackendKind.Cuda;
    public MemoryLocation Location => MemoryLocation.CudaDevice;
    public CudaDevice Device { get; }

    /// <summary>What the kernels were compiled for (CUBIN for the device's arch, or PTX fallback).</summary>
    public CompileTarget Target { get; }

    /// <summary>The CUstream all work of this backend is queued on.</summary>
    public nint Stream => _stream.DangerousGetHandle();

    public ArenaStats ArenaStats => _arena.Stats;

    public string Description => $"cuda ({Device.Name}, {Device.ArchName}, kernels {Target.Name}, {Device.MultiprocessorCount} SMs)";

    /// <summary>cuBLAS on this backend's stream, created on first use.</summary>
    public CudaBlas Blas
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            lock (_modules) return _blas ??= new CudaBlas(_context, Stream);
        }
    }

    /// <summary>Free and total device memory in bytes (cuMemGetInfo_v2; the arena's cached chunks count as used).</summary>
    public (ulong Free, ulong Total) MemoryInfo()
    {
        MakeCurrent();
        nuint free, total;
        CudaException.ThrowIfFailed(CudaDriver.cuMemGetInfo_v2(&free, &total), "cuMemGetInfo_v2");
        return (free, total);
    }

    public DeviceBuffer Allocate(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        MakeCurrent();
        var count = Math.Max(length, 1);
        var address = _arena.Allocate(checked((ulong)count * sizeof(float)));
        try
        {
            CudaException.ThrowIfFailed(CudaDriver.cuMemsetD32Async(address, 0, (nuint)count, Stream), "cuMemsetD32Async");
        }
        catch
        {
            _arena.Free(address);
            throw;
        }
        return new CudaBuffer(this, TensorView.Device(address, length));
    }

    /// <summary>Returns when <paramref name="source"/> may be reused (the copy is complete).</summary>
    public void CopyFromHost(ReadOnlySpan<float> source, TensorView destination)
    {
        Require(destination, source.Length, nameof(destination));
        if (source.Length == 0) return;
        MakeCurrent();
        fixed (float* p = source)
        {
            CudaException.ThrowIfFailed(CudaDriver.cuMemcpyHtoDAsync_v2(destination.DevicePointer, p, (nuint)source.Length * sizeof(float), Stream), "cuMemcpyHtoDAsync_v2");
            // Synchronous on purpose: with page-locked source memory the async copy would still be
            // reading the span after we return. Uploads are not on the per-step hot path.
            _stream.Synchronize();
        }
    }

    public void CopyToHost(TensorView source, Span<float> destination)
    {
        Require(source, destination.Length, nameof(source));
        if (destination.Length == 0) return;
        MakeCurrent();
        fixed (float* p = destination)
        {
            CudaException.ThrowIfFailed(CudaDriver.cuMemcpyDtoHAsync_v2(p, source.DevicePointer, (nuint)destination.Length * sizeof(float), Stream), "cuMemcpyDtoHAsync_v2");
            _stream.Synchronize();
        }
    }

    public void Copy(TensorView destination, TensorView source)
    {
        Require(destination, source.Length, nameof(destination));
        Require(source, destination.Length, nameof(source));
        long n = source.Length;
        if (n == 0) return;
        MakeCurrent();
        ulong dst = destination.DevicePointer, src = source.DevicePointer;
        var args = stackalloc void*[3];
        args[0] = &dst;
        args[1] = &src;
        args[2] = &n;
        KernelLauncher.Launch(_copy, GridFor(n), KernelLauncher.DefaultBlock, 0, Stream, args);
    }

    internal void OptimizerStep(NativeOptimizer kind, in LoptCoef coef, TensorView parameters, TensorView gradients, TensorView state0, TensorView state1, TensorView state2)
    {
        if ((uint)kind >= (uint)_optimKernels.Length)
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a native optimizer kind.");
        // A null state pointer where the kernel expects one would fault and poison the context, so check first.
        int minState = MinimumStateCount(kind);
        int maxState = MaximumStateCount(kind);
        if (coef.StateCount < minState || coef.StateCount > maxState)
            throw new ArgumentException($"coef.StateCount = {coef.StateCount}, but {kind} needs {minState}{(maxState > minState ? $" or {maxState}" : "")} state buffer(s).", nameof(coef));
        long n = parameters.Length;
        Require(parameters, n, nameof(parameters));
        Require(gradients, n, nameof(gradients));
        if (coef.StateCount > 0) Require(state0, n, nameof(state0));
        if (coef.StateCount > 1) Require(state1, n, nameof(state1));
        if (coef.StateCount > 2) Require(state2, n, nameof(state2));
        if (n == 0) return;
        MakeCurrent();

        ulong p = parameters.DevicePointer, g = gradients.DevicePointer;
        ulong s0 = coef.StateCount > 0 ? state0.DevicePointer : 0, s1 = coef.StateCount > 1 ? state1.DevicePointer : 0;
        ulong s2 = coef.StateCount > 2 ? state2.DevicePointer : 0;
        ulong counter = _nonFinite;
        var c = coef; // lopt_coef is passed by value: the driver copies it from this local
        var args = stackalloc void*[8];
        args[0] = &p;
        args[1] = &g;
        args[2] = &s0;
        args[3] = &s1;
        args[4] = &s2;
        args[5] = &n;
        args[6] = &c;
        args[7] = &counter;
        KernelLauncher.Launch(_optimKernels[(int)kind], GridFor(n), KernelLauncher.DefaultBlock, 0, Stream, args);
    }

    public long TakeNonFiniteCount()
    {
        MakeCurrent();
        ulong count;
        CudaException.ThrowIfFailed(CudaDriver.cuMemcpyDtoHAsync_v2(&count, _nonFinite, sizeof(ulong), Stream), "cuMemcpyDtoHAsync_v2");
        _stream.Synchronize();
        CudaException.ThrowIfFailed(CudaDriver.cuMemsetD8Async(_nonFinite, 0, sizeof(ulong), Stream), "cuMemsetD8Async");
        return checked((long)count);
    }

    public void Synchronize()
    {
        MakeCurrent();
        _stream.Synchronize();
    }

    /// <summary>Mean milliseconds per run from CUDA events around the runs (GPU time of the queued work).</summary>
    public double TimeMilliseconds(Action work, int iterations)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        MakeCurrent();
        work();
        _start.Record(_stream);
        for (int i = 0; i < iterations; i++) work();
        MakeCurrent();
        _stop.Record(_stream);
        _stop.Synchronize();
        return _stop.ElapsedSince(_start) / iterations;
    }

    /// <summary>Kernel <paramref name="kernelName"/> of embedded file <paramref name="cuFile"/>, compiled (once) for <see cref="Target"/>.</summary>
    public CudaFunction GetFunction(string cuFile, string kernelName) => GetModule(cuFile).GetFunction(kernelName);

    /// <summary>Embedded kernel file <paramref name="cuFile"/> (e.g. "optim.cu") compiled for <see cref="Target"/> and loaded, once.</summary>
    public CudaModule GetModule(string cuFile)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(cuFile);
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_modules)
        {
            if (!_modules.TryGetValue(cuFile, out var module))
            {
                MakeCurrent();
                module = new CudaModule(_compiler.Compile(cuFile, Target));
                _modules.Add(cuFile, module);
            }
            return module;
        }
    }

    /// <summary>Launches on this backend's stream; <paramref name="args"/> as in <see cref="KernelLauncher"/>.</summary>
    public void Launch(CudaFunction function, Dim3 grid, Dim3 block, void** args, uint sharedMemBytes = 0)
    {
        MakeCurrent();
        KernelLauncher.Launch(function, grid, block, sharedMemBytes, Stream, args);
    }

    /// <summary>Blocks of <paramref name="block"/> threads for a grid-stride loop over <paramref name="n"/> elements on this device.</summary>
    public uint GridFor(long n, int block = KernelLauncher.DefaultBlock)
        => KernelLauncher.GridStrideBlocks(n, block, Device.MultiprocessorCount, Device.MaxThreadsPerMultiprocessor);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        // Best effort: a failed context (e.g. after a kernel fault) must not stop the rest being released.
        Try(_context.MakeCurrent);
        Try(_stream.Synchronize);
        Try(() => _blas?.Dispose());
        foreach (var m in _modules.Values) Try(m.Dispose);
        Try(_start.Dispose);
        Try(_stop.Dispose);
        Try(_arena.Dispose);
        Try(_stream.Dispose);
        _context.Dispose();
    }

    internal void Free(ulong address)
    {
        if (_disposed) return; // the arena released every chunk already
        _arena.Free(address);
    }

    private void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _context.MakeCurrent();
    }

    private static void Try(Action a)
    {
        try { a(); } catch (CudaException) { }
    }

    private static int MinimumStateCount(NativeOptimizer kind) => kind switch
    {
        NativeOptimizer.Sgd => 0,
        NativeOptimizer.Adam or NativeOptimizer.AdamW or NativeOptimizer.RmsPropCentered or NativeOptimizer.Adamax
            or NativeOptimizer.NAdam or NativeOptimizer.RAdam => 2,
        NativeOptimizer.AdamAmsgrad or NativeOptimizer.AdamWAmsgrad => 3,
        _ => 1,
    };

    private static int MaximumStateCount(NativeOptimizer kind) => kind switch
    {
        NativeOptimizer.RmsProp => 2,
        NativeOptimizer.RmsPropCentered => 3,
        _ => MinimumStateCount(kind),
    };

    internal static string KernelName(NativeOptimizer kind) => kind switch
    {
        NativeOptimizer.Sgd => "lopt_sgd_step",
        NativeOptimizer.SgdMomentum => "lopt_sgd_momentum_step",
        NativeOptimizer.RmsProp => "lopt_rmsprop_step",
        NativeOptimizer.Adam => "lopt_adam_step",
        NativeOptimizer.AdamW => "lopt_adamw_step",
        NativeOptimizer.PowerSign => "lopt_powersign_step",
        NativeOptimizer.AddSign => "lopt_addsign_step",
        NativeOptimizer.AdamAmsgrad => "lopt_adam_amsgrad_step",
        NativeOptimizer.AdamWAmsgrad => "lopt_adamw_amsgrad_step",
        NativeOptimizer.RmsPropCentered => "lopt_rmsprop_centered_step",
        NativeOptimizer.Adagrad => "lopt_adagrad_step",
        NativeOptimizer.Adamax => "lopt_adamax_step",
        NativeOptimizer.NAdam => "lopt_nadam_step",
        NativeOptimizer.RAdam => "lopt_radam_step",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a native optimizer kind."),
    };

    private static void Require(TensorView view, long length, string name)
    {
        if (view.Location != MemoryLocation.CudaDevice)
            throw new ArgumentException($"{name} lives on {view.Location}; the CUDA backend needs device memory.", name);
        if (view.Length != length)
            throw new ArgumentException($"{name} has {view.Length} elements, expected {length}.", name);
        if (length > 0 && view.IsNull)
            throw new ArgumentNullException(name, $"{name} is a null device pointer with {length} elements.");
    }

    /// <summary>Arena memory owned by a tensor. No finalizer: freeing device memory needs the context, so an undisposed buffer returns to the device when the backend is disposed.</summary>
    private sealed class CudaBuffer(CudaBackend owner, TensorView view) : DeviceBuffer(view)
    {
        protected override void Release() => owner.Free(View.DevicePointer);
    }
}
