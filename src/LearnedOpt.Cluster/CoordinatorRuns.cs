using System.Collections.Concurrent;
using LearnedOpt.MetaTraining.Distributed;

namespace LearnedOpt.Cluster;

/// <summary>The coordinator silo's runs by id: where its <see cref="RunGrain"/> finds the φ versions to serve.</summary>
public sealed class CoordinatorRuns
{
    private readonly ConcurrentDictionary<string, IPhiVersions> _runs = new(StringComparer.Ordinal);

    private long _resent;

    /// <summary>Group calls re-sent after a failure (a dead silo, a timeout, a stale reply).</summary>
    public long Resent => Interlocked.Read(ref _resent);

    public void CountResent() => Interlocked.Increment(ref _resent);

    public void Register(string runId, IPhiVersions phis) => _runs[runId] = phis;

    public void Remove(string runId) => _runs.TryRemove(runId, out _);

    public IPhiVersions Get(string runId) => _runs.TryGetValue(runId, out var p) ? p
        : throw new InvalidOperationException($"run '{runId}' is not running on this coordinator.");
}
