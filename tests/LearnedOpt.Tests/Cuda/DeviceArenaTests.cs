using LearnedOpt.Cuda;

namespace LearnedOpt.Tests.Cuda;

/// <summary>The arena's bookkeeping over a fake memory source (no GPU): alignment, reuse, coalescing, chunks.</summary>
[Trait("tier", "cpu")]
public class DeviceArenaTests
{
    /// <summary>Hands out disjoint, 256-aligned address ranges and records what is live.</summary>
    private sealed class FakeSource(ulong limitBytes = ulong.MaxValue) : IDeviceMemorySource
    {
        private ulong _next = 0x7f00_0000_0000;
        public readonly Dictionary<ulong, ulong> Live = [];
        public int Allocations, Frees;

        public ulong Allocate(ulong bytes)
        {
            if (Live.Values.Aggregate(0UL, (a, b) => a + b) + bytes > limitBytes)
                throw new CudaException("cuMemAlloc_v2", 2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory");
            var p = _next;
            _next += (bytes + 4095) / 4096 * 4096 + 4096;
            Live.Add(p, bytes);
            Allocations++;
            return p;
        }

        public void Free(ulong address)
        {
            Assert.True(Live.Remove(address), $"freed 0x{address:x} that is not live");
            Frees++;
        }
    }

    [Fact]
    public void BlocksAreAlignedDisjointAndInsideTheirChunk()
    {
        var source = new FakeSource();
        using var arena = new DeviceArena(source, 1 << 16);
        var rng = new LearnedOpt.Randomness.Rng(7);
        var blocks = new List<(ulong At, ulong Size)>();
        for (int i = 0; i < 200; i++)
        {
            var size = (ulong)rng.NextInt(5000);
            blocks.Add((arena.Allocate(size), Math.Max(size, 1)));
        }
        Assert.All(blocks, b => Assert.Equal(0UL, b.At % DeviceArena.Alignment));
        var sorted = blocks.OrderBy(b => b.At).ToList();
        for (int i = 1; i < sorted.Count; i++) Assert.True(sorted[i - 1].At + sorted[i - 1].Size <= sorted[i].At, "blocks overlap");
        Assert.All(blocks, b => Assert.Contains(source.Live, c => b.At >= c.Key && b.At + b.Size <= c.Key + c.Value));
    }

    [Fact]
    public void FreeingEverythingInAnyOrderCoalescesBackToWholeChunks()
    {
        var source = new FakeSource();
        using var arena = new DeviceArena(source, 1 << 16);
        var rng = new LearnedOpt.Randomness.Rng(11);
        var blocks = Enumerable.Range(0, 300).Select(_ => arena.Allocate((ulong)rng.NextInt(3000))).ToArray();
        rng.Shuffle(blocks.AsSpan());
        foreach (var b in blocks) arena.Free(b);

        var stats = arena.Stats;
        Assert.Equal(0UL, stats.InUseBytes);
        Assert.Equal(0, stats.LiveAllocations);
        var free = arena.FreeRanges();
        Assert.Equal(source.Live.Count, free.Count); // one range per chunk
        Assert.All(free, f => Assert.Equal(source.Live[f.Address], f.Size));
    }

    [Fact]
    public void FreedBlockIsReusedWithoutANewChunk()
    {
        var source = new FakeSource();
        using var arena = new DeviceArena(source, 1 << 20);
        var a = arena.Allocate(1000);
        var b = arena.Allocate(1000);
        arena.Free(a);
        Assert.Equal(a, arena.Allocate(900)); // best fit: the hole a left
        Assert.Equal(1, source.Allocations);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void MiddleFreeMergesWithBothNeighbours()
    {
        var source = new FakeSource();
        using var arena = new DeviceArena(source, 4096);
        var x = arena.Allocate(256);
        var y = arena.Allocate(256);
        var z = arena.Allocate(256);
        var tail = arena.Allocate(4096 - 768);
        arena.Free(x);
        arena.Free(z);
        Assert.Equal(2, arena.FreeRanges().Count);
        arena.Free(y);
        Assert.Equal([(x, 768UL)], arena.FreeRanges());
        arena.Free(tail);
        Assert.Equal([(x, 4096UL)], arena.FreeRanges());
    }

    [Fact]
    public void LargeRequestGetsItsOwnChunkAndTrimReturnsEmptyChunks()
    {
        var source = new FakeSource();
        using var arena = new DeviceArena(source, 1 << 20);
        var small = arena.Allocate(100);
        var big = arena.Allocate(5UL << 20);
        Assert.Equal(2, source.Allocations);
        Assert.Equal(7UL << 20, arena.Stats.ReservedBytes); // 1 MiB chunk + 5 MiB rounded up to 2 MiB granules (6 MiB)
        arena.Free(big);
        Assert.Equal(6UL << 20, arena.Trim());
        Assert.Single(source.Live);
        arena.Free(small);
        arena.Dispose();
        Assert.Empty(source.Live);
    }

    [Fact]
    public void OutOfMemoryReleasesIdleChunksAndRetries()
    {
        var source = new FakeSource(limitBytes: 5UL << 20);
        using var arena = new DeviceArena(source, 2UL << 20);
        arena.Free(arena.Allocate(2UL << 20)); // one idle 2 MiB chunk stays cached
        var big = arena.Allocate(4UL << 20); // a dedicated chunk: fits only once the idle one is gone
        Assert.Equal(1, source.Frees);
        Assert.Single(source.Live);
        Assert.Throws<CudaException>(() => arena.Allocate(2UL << 20));
        arena.Free(big);
    }

    [Fact]
    public void StatsTrackPeakAndCounts()
    {
        using var arena = new DeviceArena(new FakeSource(), 1 << 16);
        var a = arena.Allocate(1000); // 1024 bytes
        var b = arena.Allocate(256);
        arena.Free(a);
        var s = arena.Stats;
        Assert.Equal(256UL, s.InUseBytes);
        Assert.Equal(1280UL, s.PeakInUseBytes);
        Assert.Equal(1, s.LiveAllocations);
        Assert.Equal(2, s.TotalAllocations);
        Assert.Equal(1, s.ChunkAllocations);
        Assert.Equal((ulong)(1 << 16) - 1280, s.LargestFreeBlock); // the tail after b; a's 1 KiB hole is smaller
        arena.Free(b);
    }

    [Fact]
    public void ForeignOrDoubleFreeIsAnArgumentException()
    {
        using var arena = new DeviceArena(new FakeSource(), 1 << 16);
        var a = arena.Allocate(10);
        arena.Free(a);
        Assert.Equal("address", Assert.Throws<ArgumentException>(() => arena.Free(a)).ParamName);
        Assert.Throws<ArgumentException>(() => arena.Free(12345));
    }

    [Fact]
    public void ChunkSizeMustBeAMultipleOfTheAlignment()
        => Assert.Equal("chunkBytes", Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceArena(new FakeSource(), 1000)).ParamName);

    [Theory]
    [InlineData(0L, 1u)]
    [InlineData(1L, 1u)]
    [InlineData(256L, 1u)]
    [InlineData(257L, 2u)]
    [InlineData(1L << 30, 132u * 8)] // capped at one full wave of an H100 (132 SMs x 2048 threads / 256)
    public void GridStrideBlocksCoverNAndCapAtOneWave(long n, uint expected)
        => Assert.Equal(expected, KernelLauncher.GridStrideBlocks(n, 256, 132, 2048));
}
