namespace LearnedOpt.Cuda;

/// <summary>
/// Device memory sub-allocator: carves 256-byte-aligned blocks out of large chunks from an
/// <see cref="IDeviceMemorySource"/> (cuMemAlloc), with a per-chunk free list sorted by offset
/// that coalesces neighbours on free. cuMemAlloc/cuMemFree synchronise the device, so doing them
/// per tensor would stall training; here they happen once per chunk. Empty chunks are kept for
/// reuse until <see cref="Trim"/> or <see cref="Dispose"/>.
/// Blocks are reused in stream order: the owner runs all work on one stream, so a block freed and
/// handed out again is only touched by later work on that stream.
/// </summary>
public sealed class DeviceArena : IDisposable
{
    public const ulong Alignment = 256;
    public const ulong DefaultChunkBytes = 64UL << 20;
    private const ulong LargeRounding = 2UL << 20;

    private readonly IDeviceMemorySource _source;
    private readonly ulong _chunkBytes;
    private readonly List<Chunk> _chunks = [];
    private readonly Dictionary<ulong, (Chunk Chunk, ulong Size)> _live = [];
    private readonly object _gate = new();
    private ulong _inUse, _peak;
    private long _total, _chunkAllocations;
    private bool _disposed;

    public DeviceArena(IDeviceMemorySource source, ulong chunkBytes = DefaultChunkBytes)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (chunkBytes < Alignment || chunkBytes % Alignment != 0)
            throw new ArgumentOutOfRangeException(nameof(chunkBytes), chunkBytes, $"chunkBytes must be a positive multiple of {Alignment}.");
        _source = source;
        _chunkBytes = chunkBytes;
    }

    /// <summary>A block of at least <paramref name="bytes"/> bytes (rounded up to 256; 0 gives 256).</summary>
    public ulong Allocate(ulong bytes)
    {
        var size = RoundUp(Math.Max(bytes, 1), Alignment);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!TryCarve(size, out var address))
            {
                var chunk = NewChunk(size);
                TryCarveFrom(chunk, size, out address);
            }
            _total++;
            _inUse += size;
            _peak = Math.Max(_peak, _inUse);
            return address;
        }
    }

    /// <summary>Returns a block; its free neighbours in the same chunk merge with it.</summary>
    public void Free(ulong address)
    {
        lock (_gate)
        {
            if (_disposed) return; // the chunks are gone already
            if (!_live.Remove(address, out var entry))
                throw new ArgumentException($"address 0x{address:x} was not allocated by this arena (or was freed twice).", nameof(address));
            _inUse -= entry.Size;
            entry.Chunk.Release(address - entry.Chunk.Base, entry.Size);
        }
    }

    /// <summary>Gives wholly free chunks back to the source; returns the bytes released.</summary>
    public ulong Trim()
    {
        lock (_gate)
        {
            ulong released = 0;
            for (int i = _chunks.Count - 1; i >= 0; i--)
            {
                var c = _chunks[i];
                if (!c.IsEmpty) continue;
                _source.Free(c.Base);
                released += c.Size;
                _chunks.RemoveAt(i);
            }
            return released;
        }
    }

    public ArenaStats Stats
    {
        get
        {
            lock (_gate)
            {
                ulong reserved = 0, largest = 0;
                foreach (var c in _chunks)
                {
                    reserved += c.Size;
                    largest = Math.Max(largest, c.LargestFree);
                }
                return new ArenaStats(_chunks.Count, reserved, _inUse, _peak, _live.Count, _total, _chunkAllocations, largest);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var c in _chunks) _source.Free(c.Base);
            _chunks.Clear();
            _live.Clear();
            _inUse = 0;
        }
    }

    private bool TryCarve(ulong size, out ulong address)
    {
        foreach (var c in _chunks)
            if (TryCarveFrom(c, size, out address)) return true;
        address = 0;
        return false;
    }

    private bool TryCarveFrom(Chunk chunk, ulong size, out ulong address)
    {
        if (!chunk.TryTake(size, out var offset))
        {
            address = 0;
            return false;
        }
        address = chunk.Base + offset;
        _live.Add(address, (chunk, size));
        return true;
    }

    private Chunk NewChunk(ulong size)
    {
        // Requests larger than a chunk get a chunk of their own, rounded to 2 MiB (the driver's granularity).
        var bytes = size <= _chunkBytes ? _chunkBytes : RoundUp(size, LargeRounding);
        ulong baseAddress;
        try
        {
            baseAddress = _source.Allocate(bytes);
        }
        catch (CudaException)
        {
            // Out of memory with idle chunks cached: give them back and try once more.
            if (Trim() == 0) throw;
            baseAddress = _source.Allocate(bytes);
        }
        if (baseAddress % Alignment != 0)
            throw new InvalidOperationException($"The memory source returned 0x{baseAddress:x}, which is not {Alignment}-byte aligned.");
        _chunkAllocations++;
        var chunk = new Chunk(baseAddress, bytes);
        _chunks.Add(chunk);
        return chunk;
    }

    private static ulong RoundUp(ulong x, ulong m) => checked((x + m - 1) / m * m);

    /// <summary>One cuMemAlloc'd block and its free ranges, sorted by offset and never adjacent.</summary>
    private sealed class Chunk(ulong baseAddress, ulong size)
    {
        private readonly List<(ulong Offset, ulong Size)> _free = [(0, size)];

        public ulong Base { get; } = baseAddress;
        public ulong Size { get; } = size;
        public bool IsEmpty => _free.Count == 1 && _free[0].Size == Size;
        public ulong LargestFree => _free.Count == 0 ? 0 : _free.Max(f => f.Size);

        /// <summary>Best fit: the smallest free range that holds <paramref name="size"/>, to limit fragmentation.</summary>
        public bool TryTake(ulong size, out ulong offset)
        {
            int best = -1;
            for (int i = 0; i < _free.Count; i++)
                if (_free[i].Size >= size && (best < 0 || _free[i].Size < _free[best].Size)) best = i;
            if (best < 0)
            {
                offset = 0;
                return false;
            }
            var f = _free[best];
            offset = f.Offset;
            if (f.Size == size) _free.RemoveAt(best);
            else _free[best] = (f.Offset + size, f.Size - size);
            return true;
        }

        public void Release(ulong offset, ulong size)
        {
            // Index of the first free range after the released one.
            int lo = 0, hi = _free.Count;
            while (lo < hi)
            {
                int mid = (lo + hi) / 2;
                if (_free[mid].Offset < offset) lo = mid + 1; else hi = mid;
            }
            bool mergePrev = lo > 0 && _free[lo - 1].Offset + _free[lo - 1].Size == offset;
            bool mergeNext = lo < _free.Count && offset + size == _free[lo].Offset;
            if (mergePrev && mergeNext)
            {
                _free[lo - 1] = (_free[lo - 1].Offset, _free[lo - 1].Size + size + _free[lo].Size);
                _free.RemoveAt(lo);
            }
            else if (mergePrev) _free[lo - 1] = (_free[lo - 1].Offset, _free[lo - 1].Size + size);
            else if (mergeNext) _free[lo] = (offset, size + _free[lo].Size);
            else _free.Insert(lo, (offset, size));
        }

        /// <summary>The free ranges, for tests of coalescing.</summary>
        public IReadOnlyList<(ulong Offset, ulong Size)> FreeRanges => _free;
    }

    /// <summary>Free ranges of each chunk as (chunk base + offset, size): lets tests check coalescing.</summary>
    internal IReadOnlyList<(ulong Address, ulong Size)> FreeRanges()
    {
        lock (_gate)
            return _chunks.SelectMany(c => c.FreeRanges.Select(f => (c.Base + f.Offset, f.Size))).ToList();
    }
}
