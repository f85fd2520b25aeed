using System.Diagnostics;
using LearnedOpt.Backends;

namespace LearnedOpt.MetaTraining;

/// <summary>The parts of a meta-gradient whose time the benchmark splits.</summary>
public enum UnrollPhase
{
    /// <summary>The learned optimizer's forward step.</summary>
    OptimizerStep,

    /// <summary>The inner problem: loss, gradient and Hessian-vector products.</summary>
    Task,

    /// <summary>The reverse walk of TBPTT (adjoints of the optimizer step).</summary>
    Backward,
}

/// <summary>
/// Wall time per <see cref="UnrollPhase"/>, summed over calls and threads. Off unless a benchmark
/// installs one (<see cref="Install"/>): code paths call <see cref="Time"/>, which costs nothing then.
/// A timed phase on a device backend synchronizes before and after so that queued work lands in
/// the phase that queued it; that serialises the stream, so only benchmarks switch it on.
/// </summary>
public sealed class PhaseTimer
{
    private static PhaseTimer? s_current;
    private readonly long[] _ticks = new long[Enum.GetValues<UnrollPhase>().Length];

    /// <summary>The timer code paths report to, or null (the default: not timing).</summary>
    public static PhaseTimer? Current => Volatile.Read(ref s_current);

    /// <summary>Makes <paramref name="timer"/> current until the returned scope is disposed.</summary>
    public static IDisposable Install(PhaseTimer timer)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var previous = Interlocked.Exchange(ref s_current, timer);
        return new Restore(previous);
    }

    /// <summary>Times a phase when a timer is installed (synchronizing <paramref name="backend"/>, if given, at both ends).</summary>
    public static Scope Time(UnrollPhase phase, IBackend? backend = null)
    {
        var timer = Current;
        if (timer == null) return default;
        backend?.Synchronize();
        return new Scope(timer, phase, backend, Stopwatch.GetTimestamp());
    }

    /// <summary>Seconds spent in <paramref name="phase"/> so far.</summary>
    public double Seconds(UnrollPhase phase) => (double)Interlocked.Read(ref _ticks[(int)phase]) / Stopwatch.Frequency;

    /// <summary>Each phase's share of the timed total (0 when nothing was timed).</summary>
    public IReadOnlyDictionary<UnrollPhase, double> Shares()
    {
        var phases = Enum.GetValues<UnrollPhase>();
        double total = phases.Sum(Seconds);
        return phases.ToDictionary(p => p, p => total > 0 ? Seconds(p) / total : 0);
    }

    private void Add(UnrollPhase phase, long ticks) => Interlocked.Add(ref _ticks[(int)phase], ticks);

    public readonly struct Scope : IDisposable
    {
        private readonly PhaseTimer? _timer;
        private readonly UnrollPhase _phase;
        private readonly IBackend? _backend;
        private readonly long _start;

        internal Scope(PhaseTimer timer, UnrollPhase phase, IBackend? backend, long start)
        {
            _timer = timer;
            _phase = phase;
            _backend = backend;
            _start = start;
        }

        public void Dispose()
        {
            if (_timer == null) return;
            _backend?.Synchronize();
            _timer.Add(_phase, Stopwatch.GetTimestamp() - _start);
        }
    }

    private sealed class Restore(PhaseTimer? previous) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref s_current, previous);
    }
}
