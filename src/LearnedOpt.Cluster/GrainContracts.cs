namespace LearnedOpt.Cluster;

/// <summary>One slot group's work of a meta-iteration, as it travels: the protocol, the run, the group, the run's config and the encoded <see cref="WorkCodec"/> work.</summary>
[GenerateSerializer, Immutable]
public sealed record GroupCall([property: Id(0)] string Protocol, [property: Id(1)] string RunId, [property: Id(2)] int Group,
                               [property: Id(3)] string ConfigJson, [property: Id(4)] byte[] Work)
{
    /// <summary>The group grain's key.</summary>
    public string GrainKey => $"{RunId}/{Group}";
}

/// <summary>
/// A group's answer: the encoded results, or a refusal (another protocol or engine: the run stops
/// with it) or a stale flag (the group has run a newer iteration: the coordinator drops the reply).
/// <paramref name="Silo"/> names the worker that ran it (progress shows each worker's share).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record GroupReply([property: Id(0)] byte[] Results, [property: Id(1)] string? Refusal, [property: Id(2)] bool Stale, [property: Id(3)] string Silo);

/// <summary>A slot group on a worker, key "{run}/{group}": the ± states of its slots (plain fields: recomputable by replay).</summary>
public interface ISlotGroupGrain : IGrainWithStringKey
{
    Task<GroupReply> Run(GroupCall call, CancellationToken cancel = default);
}

/// <summary>The run on the coordinator, key = run id: serves φ versions to the workers and fans the group calls out from a grain.</summary>
public interface IRunGrain : IGrainWithStringKey
{
    /// <summary>φ of a version as raw float bytes.</summary>
    Task<byte[]> Phi(long version);

    /// <summary>Runs every call, re-sending those whose silo failed, and returns the replies in call order.</summary>
    /// <remarks>
    /// Not bounded by the messaging timeout: a call waits for failure detection and for the replay of a
    /// lost worker's groups, which the grain bounds itself (maxAttempts × the group-call timeout). A
    /// response timeout of the call timeout here would cut a legitimate recovery short on a busy machine.
    /// </remarks>
    [ResponseTimeout("1.00:00:00")]
    Task<GroupReply[]> RunGroups(GroupCall[] calls, int maxAttempts);
}
