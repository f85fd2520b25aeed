using System.Diagnostics;
using System.Runtime.InteropServices;
using LearnedOpt.Interop;

namespace LearnedOpt.Backends;

/// <summary>The native CPU library (liblopt_cpu.so, OpenMP): the same per-element math as the CUDA kernels.</summary>
public sealed unsafe class CpuBackend : IBackend
{
    private long _nonFinite;

    public CpuBackend(int threads = 0)
    {
        NativeLibraryResolver.Install();
        var abi = LoptCpuNative.lopt_abi_version();
        if (abi != LoptCpuNative.AbiVersion)
            throw new InvalidOperationException($"liblopt_cpu.so has ABI version {abi}, this assembly expects {LoptCpuNative.AbiVersion}: rebuild the native library.");
        if (threads > 0) LoptCpuNative.lopt_set_threads(threads);
        Threads = LoptCpuNative.lopt_max_threads();
    }

    public BackendKind Kind => BackendKind.Cpu;
    public MemoryLocation Location => MemoryLocation.Host;
    public int Threads { get; }
    public string Description => $"cpu (liblopt_cpu.so, OpenMP, {Threads} threads)";

    public DeviceBuffer Allocate(long length) => new HostBuffer(length);

    public void CopyFromHost(ReadOnlySpan<float> source, TensorView destination)
    {
        Require(destination, source.Length, nameof(destination));
        source.CopyTo(new Span<float>(destination.HostPointer, checked((int)destination.Length)));
    }

    public void CopyToHost(TensorView source, Span<float> destination)
    {
        Require(source, destination.Length, nameof(source));
        new ReadOnlySpan<float>(source.HostPointer, checked((int)source.Length)).CopyTo(destination);
    }

    public void Copy(TensorView destination, TensorView source)
    {
        Require(destination, source.Length, nameof(destination));
        Require(source, destination.Length, nameof(source));
        LoptCpuNative.lopt_copy(destination.HostPointer, source.HostPointer, source.Length);
    }

    public void OptimizerStep(NativeOptimizer kind, in LoptCoef coef, TensorView parameters, TensorView gradients, TensorView state0, TensorView state1)
    {
        long n = parameters.Length;
        Require(parameters, n, nameof(parameters));
        Require(gradients, n, nameof(gradients));
        if (coef.StateCount > 0) Require(state0, n, nameof(state0));
        if (coef.StateCount > 1) Require(state1, n, nameof(state1));
        long bad;
        var c = coef;
        LoptCpuNative.Check(LoptCpuNative.lopt_optim_step((int)kind, parameters.HostPointer, gradients.HostPointer,
            coef.StateCount > 0 ? state0.HostPointer : null, coef.StateCount > 1 ? state1.HostPointer : null, n, &c, &bad), "lopt_optim_step");
        _nonFinite += bad;
    }

    public long TakeNonFiniteCount()
    {
        var n = _nonFinite;
        _nonFinite = 0;
        return n;
    }

    public void Synchronize() { }

    public double TimeMilliseconds(Action work, int iterations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        work();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) work();
        return sw.Elapsed.TotalMilliseconds / iterations;
    }

    public void Dispose() { }

    private static void Require(TensorView view, long length, string name)
    {
        if (view.Location != MemoryLocation.Host)
            throw new ArgumentException($"{name} lives on {view.Location}; the CPU backend needs host memory.", name);
        if (view.Length != length)
            throw new ArgumentException($"{name} has {view.Length} elements, expected {length}.", name);
        if (length > 0 && view.IsNull)
            throw new ArgumentNullException(name, $"{name} is a null pointer with {length} elements.");
    }

    private sealed class HostBuffer : DeviceBuffer
    {
        public HostBuffer(long length) : base(AllocateZeroed(length)) { }

        private static TensorView AllocateZeroed(long length)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(length);
            var bytes = (nuint)Math.Max(length, 1) * sizeof(float);
            var p = NativeMemory.AlignedAlloc(bytes, 64);
            NativeMemory.Clear(p, bytes);
            return TensorView.Host((float*)p, length);
        }

        protected override void Release() => NativeMemory.AlignedFree((void*)View.Address);

        ~HostBuffer() => Release();
    }
}
