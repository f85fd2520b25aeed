using LearnedOpt.Interop;
using LearnedOpt.NativeLibraries;
using LearnedOpt.Optimizers.Celo;

namespace LearnedOpt.Backends.Cpu;

/// <summary>The Celo step on the CPU library (native/cpu/celo_cpu.cpp, lopt_celo_step).</summary>
internal sealed unsafe class CpuCeloKernels : ICeloKernels
{
    private readonly float[] _mlp, _sched;
    private readonly double[] _global = new double[LoptCeloNative.GlobalDoubles];
    private readonly LoptCeloTensor[] _tab;
    private readonly int[] _skipped;
    private readonly long _totalSteps;
    private readonly int _phase;
    private long _nonFinite, _skippedSteps;

    public CpuCeloKernels(CeloWeights weights, IReadOnlyList<CeloTensorLayout> layouts, long totalSteps, int phase)
    {
        NativeLibraryResolver.Install();
        LoptCeloNative.CheckSizes();
        _mlp = weights.MlpPack();
        _sched = weights.SchedulerPack();
        _totalSteps = totalSteps;
        _phase = phase;
        _tab = layouts.Select(CeloTables.Descriptor).ToArray();
        _skipped = new int[layouts.Count];
        fixed (float* s = _sched)
        fixed (double* g = _global)
            LoptCpuNative.Check(LoptCeloNative.lopt_celo_global_init(s, g), "lopt_celo_global_init");
    }

    public void Step(ReadOnlySpan<TensorView> parameters, ReadOnlySpan<TensorView> gradients, ReadOnlySpan<TensorView> states, float loss, long step)
    {
        for (int i = 0; i < _tab.Length; i++)
        {
            _tab[i].P = (ulong)parameters[i].Address;
            _tab[i].G = (ulong)gradients[i].Address;
            _tab[i].State = (ulong)states[i].Address;
        }
        long bad;
        fixed (float* mlp = _mlp)
        fixed (float* sched = _sched)
        fixed (LoptCeloTensor* tab = _tab)
        fixed (double* g = _global)
        fixed (int* sk = _skipped)
            LoptCpuNative.Check(LoptCeloNative.lopt_celo_step(mlp, sched, tab, _tab.Length, g, loss, step, _totalSteps, _phase, sk, &bad), "lopt_celo_step");
        _nonFinite += bad;
        _skippedSteps += _skipped.Count(x => x != 0);
    }

    public double[] ReadGlobal() => (double[])_global.Clone();

    public void WriteGlobal(ReadOnlySpan<double> global) => global.CopyTo(_global);

    public CeloCounters ReadCounters() => new(_nonFinite, _skippedSteps, _skipped.Select(x => x != 0).ToArray());

    public void Dispose() { }
}
