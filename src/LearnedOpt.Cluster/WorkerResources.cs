using System.Collections.Concurrent;
using LearnedOpt.Backends;

namespace LearnedOpt.Cluster;

/// <summary>
/// What a worker silo shares between its slot groups: the CPU backend, the threads a group may use,
/// and the φ cache (each version fetched from the coordinator once per silo).
/// </summary>
public sealed class WorkerResources(int threads) : IDisposable
{
    private readonly Lazy<CpuBackend> _backend = new(() => BackendSelector.CreateCpu(threads: 1));
    private readonly ConcurrentDictionary<(string Run, long Version), Task<float[]>> _phi = new();

    public const int KeptVersions = 64;

    /// <summary>Trajectories a group unrolls in parallel.</summary>
    public int Threads { get; } = threads > 0 ? threads : Environment.ProcessorCount;

    /// <summary>Per-slot unrolls: one OpenMP thread each (the trajectories are the parallel unit).</summary>
    public IBackend Backend => _backend.Value;

    /// <summary>
    /// φ of a version of a run, fetched once. Versions more than <see cref="KeptVersions"/> behind the
    /// one asked for are let go: a replay that needs one again fetches it again from the coordinator,
    /// which keeps every version an episode history refers to.
    /// </summary>
    public Task<float[]> Phi(IGrainFactory grains, string run, long version)
    {
        var task = _phi.GetOrAdd((run, version), key => Fetch(grains, key.Run, key.Version));
        if (task.IsFaulted) _phi.TryRemove((run, version), out _);
        foreach (var key in _phi.Keys) if (key.Run == run && key.Version < version - KeptVersions) _phi.TryRemove(key, out _);
        return task;
    }

    private static async Task<float[]> Fetch(IGrainFactory grains, string run, long version)
        => WorkCodec.DecodeFloats(await grains.GetGrain<IRunGrain>(run).Phi(version));

    public void Dispose()
    {
        if (_backend.IsValueCreated) _backend.Value.Dispose();
    }
}
