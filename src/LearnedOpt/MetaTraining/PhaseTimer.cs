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
/// <remarks>
/// Each interval of a thread's time is counted at most once: the installed timer belongs to the
/// logical flow that installed it (work started elsewhere, such as a test running beside it, does
/// not report to it), and a phase opened inside another on the same thread is part of the outer one.
/// <see cref="Shares"/> divides one snapshot of the per-phase totals by its own sum, so the shares
/// add up to 1 whatever other threads are still adding.
/// </remarks>
public sealed class PhaseTimer
{
    // AsyncLocal flows into Parallel.For bodies and threads started inside the installing flow.
    private static readonly AsyncLocal<PhaseTimer?> s_current = new();

    // The timer whose phase is open on this thread, so that nested scopes are not counted twice.
    [ThreadStatic] private static PhaseTimer? t_open;

    private readonly long[] _ticks = new long[Enum.GetValues<UnrollPhase>().Length];

    /// <summary>The timer code paths report to, or null (the default: not timing).</summary>
    public static PhaseTimer? Current => s_current.Value;

    /// <summary>Makes <paramref name="timer"/> current in this flow until the returned scope is disposed.</summary>
    public static IDisposable Install(PhaseTimer timer)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var previous = s_current.Value;
        s_current.Value = timer;
        return new Restore(previous);
    }

    /// <summary>Times a phase when a timer is installed (synchronizing <paramref name="backend"/>, if given, at both ends).</summary>
    public static Scope Time(UnrollPhase phase, IBackend? backend = null)
    {
        var timer = Current;
        if (timer == null || ReferenceEquals(t_open, timer)) return default;
        backend?.Synchronize();
        t_open = timer;
        return new Scope(timer, phase, backend, Stopwatch.GetTimestamp());
    }

    /// <summary>Seconds spent in <paramref name="phase"/> so far.</summary>
    public double Seconds(UnrollPhase phase) => (double)Interlocked.Read(ref _ticks[(int)phase]) / Stopwatch.Frequency;

    /// <summary>Each phase's share of the timed total, from one snapshot (0 each when nothing was timed).</summary>
    public IReadOnlyDictionary<UnrollPhase, double> Shares()
    {
        var phases = Enum.GetValues<UnrollPhase>();
        var ticks = phases.Select(p => Interlocked.Read(ref _ticks[(int)p])).ToArray();
        double total = ticks.Sum(t => (double)t);
        return phases.ToDictionary(p => p, p => total > 0 ? ticks[(int)p] / total : 0);
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
            t_open = null;
        }
    }

    private sealed class Restore(PhaseTimer? previous) : IDisposable
    {
        public void Dispose() => s_current.Value = previous;
    }
}
