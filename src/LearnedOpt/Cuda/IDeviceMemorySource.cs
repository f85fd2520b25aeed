namespace LearnedOpt.Cuda;

/// <summary>Where <see cref="DeviceArena"/> gets its large chunks: cuMemAlloc on a GPU, a fake in tests.</summary>
public interface IDeviceMemorySource
{
    /// <summary>A new block of at least <paramref name="bytes"/> bytes, 256-byte aligned; throws when out of memory.</summary>
    ulong Allocate(ulong bytes);

    void Free(ulong address);
}
