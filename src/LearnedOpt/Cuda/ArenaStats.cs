namespace LearnedOpt.Cuda;

/// <summary>A snapshot of <see cref="DeviceArena"/>'s bookkeeping, for `lopt info` and benchmarks.</summary>
public readonly record struct ArenaStats(
    int Chunks,
    ulong ReservedBytes,
    ulong InUseBytes,
    ulong PeakInUseBytes,
    int LiveAllocations,
    long TotalAllocations,
    long ChunkAllocations,
    ulong LargestFreeBlock)
{
    public override string ToString()
        => $"{Chunks} chunk(s), {ReservedBytes / (1 << 20)} MiB reserved, {InUseBytes / (1 << 20)} MiB in use " +
           $"(peak {PeakInUseBytes / (1 << 20)} MiB), {LiveAllocations} live of {TotalAllocations} allocations, {ChunkAllocations} cuMemAlloc call(s)";
}
