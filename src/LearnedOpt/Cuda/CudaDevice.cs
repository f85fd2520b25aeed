using System.Text;
using LearnedOpt.Interop;

namespace LearnedOpt.Cuda;

/// <summary>One CUDA device and the attributes we size launches and report bandwidth with.</summary>
public sealed record CudaDevice(
    int Ordinal,
    string Name,
    int ComputeMajor,
    int ComputeMinor,
    int MultiprocessorCount,
    int MaxThreadsPerMultiprocessor,
    int MaxThreadsPerBlock,
    int WarpSize,
    ulong TotalMemoryBytes,
    int MemoryClockKHz,
    int MemoryBusWidthBits,
    int L2CacheBytes)
{
    /// <summary>Compute capability as one number: 90 for 9.0 (the NVRTC arch number).</summary>
    public int Arch => ComputeMajor * 10 + ComputeMinor;

    public string ArchName => $"sm_{Arch}";

    /// <summary>
    /// Theoretical DRAM bandwidth in GB/s: two transfers per memory clock (DDR/HBM) times the bus
    /// width in bytes. 0 when the driver does not report the clock (newer drivers may not).
    /// </summary>
    public double PeakBandwidthGBps => MemoryClockKHz <= 0 || MemoryBusWidthBits <= 0
        ? 0
        : 2.0 * MemoryClockKHz * 1e3 * (MemoryBusWidthBits / 8.0) / 1e9;

    public override string ToString()
        => $"#{Ordinal} {Name} ({ArchName}, {MultiprocessorCount} SMs, {TotalMemoryBytes / (1UL << 20)} MiB, " +
           (PeakBandwidthGBps > 0 ? $"peak {PeakBandwidthGBps:F0} GB/s)" : "peak bandwidth unknown)");

    /// <summary>Devices visible to the driver (initialises it; throws <see cref="CudaException"/> without one).</summary>
    public static unsafe int Count()
    {
        CudaLibraries.InitializeDriver();
        int n;
        CudaException.ThrowIfFailed(CudaDriver.cuDeviceGetCount(&n), "cuDeviceGetCount");
        return n;
    }

    public static IReadOnlyList<CudaDevice> All()
    {
        var n = Count();
        var list = new List<CudaDevice>(n);
        for (int i = 0; i < n; i++) list.Add(Get(i));
        return list;
    }

    public static unsafe CudaDevice Get(int ordinal)
    {
        var count = Count();
        if (ordinal < 0 || ordinal >= count)
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"device ordinal must be in [0, {count}).");
        int dev;
        CudaException.ThrowIfFailed(CudaDriver.cuDeviceGet(&dev, ordinal), "cuDeviceGet");
        var name = stackalloc byte[256];
        CudaException.ThrowIfFailed(CudaDriver.cuDeviceGetName(name, 256, dev), "cuDeviceGetName");
        nuint total;
        CudaException.ThrowIfFailed(CudaDriver.cuDeviceTotalMem_v2(&total, dev), "cuDeviceTotalMem_v2");
        return new CudaDevice(
            ordinal,
            Encoding.UTF8.GetString(new ReadOnlySpan<byte>(name, 256).TrimEnd((byte)0)).Split('\0')[0],
            Attribute(dev, CudaDriver.AttrComputeCapabilityMajor, true),
            Attribute(dev, CudaDriver.AttrComputeCapabilityMinor, true),
            Attribute(dev, CudaDriver.AttrMultiprocessorCount, true),
            Attribute(dev, CudaDriver.AttrMaxThreadsPerMultiprocessor, true),
            Attribute(dev, CudaDriver.AttrMaxThreadsPerBlock, true),
            Attribute(dev, CudaDriver.AttrWarpSize, true),
            total,
            Attribute(dev, CudaDriver.AttrMemoryClockRate, false),
            Attribute(dev, CudaDriver.AttrGlobalMemoryBusWidth, false),
            Attribute(dev, CudaDriver.AttrL2CacheSize, false));
    }

    // Informational attributes may be missing on some drivers: 0 rather than failing the device.
    private static unsafe int Attribute(int device, int attribute, bool required)
    {
        int v;
        var r = CudaDriver.cuDeviceGetAttribute(&v, attribute, device);
        if (r == CudaDriver.Success) return v;
        if (required) throw CudaException.Driver(r, $"cuDeviceGetAttribute({attribute})");
        return 0;
    }
}
