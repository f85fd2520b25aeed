using System.Diagnostics;
using System.Runtime.InteropServices;
using LearnedOpt.Backends.Cpu;
using LearnedOpt.Cpu;
using LearnedOpt.Interop;
using LearnedOpt.NativeLibraries;

namespace LearnedOpt.Backends;

/// <summary>The native CPU library (liblopt_cpu.so, OpenMP): the same per-element math as the CUDA kernels.</summary>
/// <remarks>Create it with <see cref="BackendSelector"/>.</remarks>
public sealed unsafe class CpuBackend : IBackend
{
    private readonly CpuKernels _kernels;
    private long _nonFinite;

    public CpuBackend(int threads = 0)
    {
        CpuLibrary.EnsureLoaded();
        if (threads > 0) CpuLibrary.SetThreads(threads);
        Threads = CpuLibrary.MaxThreads;
        InstructionSet = CpuLibrary.InstructionSet;
        LibraryFile = Path.GetFileName(NativeLibraryResolver.Get(LibraryNames.LoptCpu).LoadedFrom) ?? "liblopt_cpu.so";
        _kernels = new CpuKernels(this);
    }

    public BackendKind Kind => BackendKind.Cpu;
    public MemoryLocation Location => MemoryLocation.Host;
    public int Threads { get; }
    /// <summary>The instruction set of the loaded CPU library: "x86-64" (baseline) or "x86-64-v3" (AVX2 + FMA).</summary>
    public string InstructionSet { get; }

    /// <summary>The file name of the loaded CPU library (liblopt_cpu.so or liblopt_cpu_v3.so).</summary>
    public string LibraryFile { get; }

    public string Description => $"cpu ({LibraryFile}, {InstructionSet}, OpenMP, {Threads} threads)";

    IBackendKernels IBackend.Kernels => _kernels;

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
        => CpuOptimizers.Copy(destination, source);

    internal void OptimizerStep(NativeOptimizer kind, in LoptCoef coef, TensorView parameters, TensorView gradients, TensorView state0, TensorView state1, TensorView state2)
        => _nonFinite += CpuOptimizers.Step(kind, coef, parameters, gradients, state0, state1, state2);

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

    private static void Require(TensorView view, long length, string name) => HostTensors.Require(view, length, name);

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
