using LearnedOpt.Cuda;

namespace LearnedOpt.Backends;

/// <summary>A backend with memory of its own on a device (a capability: host backends have none).</summary>
public interface IDeviceMemoryInfo
{
    /// <summary>Free and total device memory in bytes (cached arena chunks count as used).</summary>
    (ulong Free, ulong Total) MemoryInfo();

    /// <summary>What the backend's memory arena holds and hands out.</summary>
    ArenaStats ArenaStats { get; }
}
