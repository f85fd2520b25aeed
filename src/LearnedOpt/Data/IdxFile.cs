using System.Buffers.Binary;

namespace LearnedOpt.Data;

/// <summary>
/// The content of an IDX file (LeCun's MNIST format): element type, dimensions and the element
/// bytes exactly as stored (big-endian). Accessors convert to host values.
/// </summary>
public sealed class IdxFile
{
    public IdxFile(IdxDataType type, int[] dimensions, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(data);
        int size = IdxDataTypes.SizeOf(type);
        if (size == 0) throw new ArgumentException($"IDX type code 0x{(byte)type:X2} is not one of 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E.", nameof(type));
        if (dimensions.Length is 0 or > 255) throw new ArgumentException($"An IDX file has 1 to 255 dimensions, not {dimensions.Length}.", nameof(dimensions));
        foreach (var d in dimensions)
            if (d < 0) throw new ArgumentException($"IDX dimension {d} is negative.", nameof(dimensions));
        long count = dimensions.Aggregate(1L, (a, d) => checked(a * d));
        if (count * size != data.LongLength)
            throw new ArgumentException($"Dimensions [{string.Join(", ", dimensions)}] of {type} need {count * size} bytes, data has {data.LongLength}.", nameof(data));
        Type = type;
        Dimensions = dimensions;
        Data = data;
    }

    public IdxDataType Type { get; }
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>Raw element bytes, big-endian as in the file.</summary>
    public byte[] Data { get; }

    public long ElementCount => Dimensions.Aggregate(1L, (a, d) => a * d);

    /// <summary>The elements of a UInt8 file (pixels, labels) without conversion.</summary>
    public byte[] AsBytes() => Type == IdxDataType.UInt8
        ? Data
        : throw new InvalidOperationException($"IDX data is {Type}, not UInt8.");

    /// <summary>Element <paramref name="index"/> as a double, whatever the stored type.</summary>
    public double this[long index]
    {
        get
        {
            int size = IdxDataTypes.SizeOf(Type);
            var b = Data.AsSpan(checked((int)(index * size)), size);
            return Type switch
            {
                IdxDataType.UInt8 => b[0],
                IdxDataType.Int8 => (sbyte)b[0],
                IdxDataType.Int16 => BinaryPrimitives.ReadInt16BigEndian(b),
                IdxDataType.Int32 => BinaryPrimitives.ReadInt32BigEndian(b),
                IdxDataType.Float32 => BinaryPrimitives.ReadSingleBigEndian(b),
                _ => BinaryPrimitives.ReadDoubleBigEndian(b),
            };
        }
    }
}
