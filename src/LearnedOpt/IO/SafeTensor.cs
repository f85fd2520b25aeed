using System.Runtime.InteropServices;

namespace LearnedOpt.IO;

/// <summary>Element types of the safetensors format that we read and write.</summary>
public enum SafeTensorDType
{
    F32,
    F64,
    I64,
}

/// <summary>One named tensor: dtype, shape and raw little-endian bytes.</summary>
public sealed class SafeTensor
{
    public SafeTensor(string name, SafeTensorDType dtype, long[] shape, byte[] data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        DType = dtype;
        Shape = shape;
        Data = data;
        long expected = ElementCount * ElementSize(dtype);
        if (data.LongLength != expected)
            throw new ArgumentException($"Tensor '{name}': shape [{string.Join(",", shape)}] of {dtype} needs {expected} bytes, got {data.LongLength}.", nameof(data));
    }

    public string Name { get; }
    public SafeTensorDType DType { get; }
    public long[] Shape { get; }
    public byte[] Data { get; }

    public long ElementCount => Shape.Aggregate(1L, (a, b) => checked(a * b));

    public static int ElementSize(SafeTensorDType dtype) => dtype == SafeTensorDType.F32 ? 4 : 8;

    public static SafeTensor FromFloats(string name, long[] shape, ReadOnlySpan<float> values)
        => new(name, SafeTensorDType.F32, shape, MemoryMarshal.AsBytes(values).ToArray());

    public static SafeTensor FromFloats(string name, ReadOnlySpan<float> values) => FromFloats(name, [values.Length], values);

    public static SafeTensor FromInt64(string name, long value)
        => new(name, SafeTensorDType.I64, [1], BitConverter.GetBytes(value));

    /// <summary>The values as float32 (F64 is narrowed, as the weight and state contracts allow on read).</summary>
    public float[] ToFloats()
    {
        return DType switch
        {
            SafeTensorDType.F32 => MemoryMarshal.Cast<byte, float>(Data).ToArray(),
            SafeTensorDType.F64 => MemoryMarshal.Cast<byte, double>(Data).ToArray().Select(d => (float)d).ToArray(),
            _ => throw new InvalidDataException($"Tensor '{Name}' has dtype {DType}; a floating-point tensor (F32 or F64) is expected."),
        };
    }

    /// <summary>The values as float64 (exact for F32 and F64).</summary>
    public double[] ToDoubles() => DType switch
    {
        SafeTensorDType.F64 => MemoryMarshal.Cast<byte, double>(Data).ToArray(),
        _ => ToFloats().Select(f => (double)f).ToArray(),
    };

    public long ToInt64() => DType == SafeTensorDType.I64 && Data.Length == 8
        ? BitConverter.ToInt64(Data)
        : throw new InvalidDataException($"Tensor '{Name}' is not a single I64 value.");

    public string ShapeText => $"[{string.Join(", ", Shape)}]";
}
