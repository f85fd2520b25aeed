namespace LearnedOpt.Backends;

/// <summary>
/// A float32 tensor by address: a host pointer or a CUDA device pointer, its element count and
/// where it lives. The caller owns the memory and keeps it alive (and pinned) during a call.
/// </summary>
public readonly struct TensorView
{
    public TensorView(nint address, long length, MemoryLocation location)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Address = address;
        Length = length;
        Location = location;
    }

    public nint Address { get; }
    public long Length { get; }
    public MemoryLocation Location { get; }
    public bool IsNull => Address == 0;

    public static unsafe TensorView Host(float* pointer, long length) => new((nint)pointer, length, MemoryLocation.Host);

    /// <summary>A CUDA device pointer (CUdeviceptr) holding <paramref name="length"/> floats.</summary>
    public static TensorView Device(ulong devicePointer, long length) => new((nint)devicePointer, length, MemoryLocation.CudaDevice);

    public static TensorView None(MemoryLocation location) => new(0, 0, location);

    public unsafe float* HostPointer => Location == MemoryLocation.Host
        ? (float*)Address
        : throw new InvalidOperationException("This tensor lives on a CUDA device, not in host memory.");

    public ulong DevicePointer => (ulong)Address;

    public override string ToString() => $"{Location} 0x{Address:x} [{Length}]";
}
