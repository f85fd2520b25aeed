using System.Buffers.Binary;
using System.Text;

namespace LearnedOpt.IO;

/// <summary>
/// Reads the msgpack state files of flax.serialization (<c>to_bytes</c>/<c>msgpack_serialize</c>):
/// nested maps with string keys whose leaves are numpy arrays, stored as msgpack extension type 1
/// (ext 3 for numpy scalars) with the payload [shape, dtype name, little-endian C-order bytes].
/// Namedtuples appear as maps of their fields or, in older files, as
/// <c>{"name", "fields": {"0": field, ...}, "values": {"0": value, ...}}</c>; both are read as maps.
/// Leaves are returned by their key path joined with '/'.
/// </summary>
public static class FlaxMsgpack
{
    /// <summary>One array leaf: its shape, numpy dtype name and raw little-endian bytes.</summary>
    public sealed record Array(long[] Shape, string DType, byte[] Data)
    {
        public long ElementCount => Shape.Aggregate(1L, (a, b) => checked(a * b));

        /// <summary>The values of a float32 array; other dtypes are refused by name.</summary>
        public float[] ToFloats(string name)
        {
            if (DType != "float32") throw new InvalidDataException($"Array '{name}' has dtype '{DType}'; float32 is expected.");
            var v = new float[ElementCount];
            for (int i = 0; i < v.Length; i++) v[i] = BinaryPrimitives.ReadSingleLittleEndian(Data.AsSpan(4 * i, 4));
            return v;
        }
    }

    public static IReadOnlyDictionary<string, Array> ReadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Flax state file '{path}' does not exist.", path);
        return Read(File.ReadAllBytes(path), path);
    }

    /// <summary>Every array leaf of the top-level map, by key path. Anything that is not a map of maps and arrays is refused.</summary>
    public static IReadOnlyDictionary<string, Array> Read(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var reader = new Reader(bytes, source);
        var root = reader.ReadValue();
        if (reader.Position != bytes.Length)
            throw new InvalidDataException($"{source}: {bytes.Length - reader.Position} bytes follow the msgpack value.");
        if (root is not Dictionary<string, object?> map) throw new InvalidDataException($"{source}: the top-level msgpack value is not a map.");
        var leaves = new Dictionary<string, Array>(StringComparer.Ordinal);
        Flatten(map, "", leaves, source);
        return leaves;
    }

    private static void Flatten(Dictionary<string, object?> map, string prefix, Dictionary<string, Array> leaves, string source)
    {
        foreach (var (key, value) in NamedTupleAsMap(map, prefix, source))
        {
            string path = prefix.Length == 0 ? key : prefix + "/" + key;
            switch (value)
            {
                case Array a: leaves.Add(path, a); break;
                case Dictionary<string, object?> m: Flatten(m, path, leaves, source); break;
                default: throw new InvalidDataException($"{source}: entry '{path}' is {Describe(value)}, not an array or a map.");
            }
        }
    }

    // {"name", "fields", "values"} with fields and values keyed "0", "1", ... becomes {field: value}.
    private static Dictionary<string, object?> NamedTupleAsMap(Dictionary<string, object?> map, string path, string source)
    {
        if (map.Count != 3 || !map.ContainsKey("name") || map["fields"] is not Dictionary<string, object?> fields
            || map.GetValueOrDefault("values") is not Dictionary<string, object?> values)
            return map;
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (index, field) in fields)
        {
            if (field is not string name) throw new InvalidDataException($"{source}: namedtuple '{path}' has a field name that is {Describe(field)}.");
            if (!values.TryGetValue(index, out var v)) throw new InvalidDataException($"{source}: namedtuple '{path}' has no value for field '{name}'.");
            result[name] = v;
        }
        return result;
    }

    private static string Describe(object? v) => v switch
    {
        null => "nil",
        string s => $"the string \"{s}\"",
        List<object?> => "a msgpack array",
        byte[] => "binary data",
        _ => $"the value {v}",
    };

    private sealed class Reader(byte[] bytes, string source)
    {
        public int Position { get; private set; }

        public object? ReadValue()
        {
            byte b = Byte();
            if (b <= 0x7f) return (long)b;
            if (b >= 0xe0) return (long)(sbyte)b;
            if ((b & 0xf0) == 0x80) return Map(b & 0x0f);
            if ((b & 0xf0) == 0x90) return List(b & 0x0f);
            if ((b & 0xe0) == 0xa0) return Str(b & 0x1f);
            return b switch
            {
                0xc0 => null,
                0xc2 => false,
                0xc3 => true,
                0xc4 => Take(Byte()),
                0xc5 => Take(U16()),
                0xc6 => Take(Length(U32())),
                0xc7 => Ext(Byte()),
                0xc8 => Ext(U16()),
                0xc9 => Ext(Length(U32())),
                0xca => (double)BinaryPrimitives.ReadSingleBigEndian(Take(4)),
                0xcb => BinaryPrimitives.ReadDoubleBigEndian(Take(8)),
                0xcc => (long)Byte(),
                0xcd => (long)U16(),
                0xce => (long)U32(),
                0xcf => checked((long)BinaryPrimitives.ReadUInt64BigEndian(Take(8))),
                0xd0 => (long)(sbyte)Byte(),
                0xd1 => (long)BinaryPrimitives.ReadInt16BigEndian(Take(2)),
                0xd2 => (long)BinaryPrimitives.ReadInt32BigEndian(Take(4)),
                0xd3 => BinaryPrimitives.ReadInt64BigEndian(Take(8)),
                0xd4 => Ext(1),
                0xd5 => Ext(2),
                0xd6 => Ext(4),
                0xd7 => Ext(8),
                0xd8 => Ext(16),
                0xd9 => Str(Byte()),
                0xda => Str(U16()),
                0xdb => Str(Length(U32())),
                0xdc => List(U16()),
                0xdd => List(Length(U32())),
                0xde => Map(U16()),
                0xdf => Map(Length(U32())),
                _ => throw new InvalidDataException($"{source}: byte 0x{b:x2} at offset {Position - 1} is not a msgpack type."),
            };
        }

        private Dictionary<string, object?> Map(int count)
        {
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                int at = Position;
                if (ReadValue() is not string key) throw new InvalidDataException($"{source}: a map key at offset {at} is not a string.");
                if (!map.TryAdd(key, ReadValue())) throw new InvalidDataException($"{source}: map key '{key}' appears twice.");
            }
            return map;
        }

        private List<object?> List(int count)
        {
            var list = new List<object?>(Math.Min(count, 1024));
            for (int i = 0; i < count; i++) list.Add(ReadValue());
            return list;
        }

        private string Str(int length) => Encoding.UTF8.GetString(Take(length));

        // flax: ext 1 is an ndarray, ext 3 a numpy scalar; both carry [shape, dtype, bytes].
        private Array Ext(int length)
        {
            int at = Position;
            sbyte type = (sbyte)Byte();
            var payload = Take(length);
            if (type != 1 && type != 3) throw new InvalidDataException($"{source}: msgpack extension type {type} at offset {at} is not a flax array (1) or numpy scalar (3).");
            var inner = new Reader(payload, source);
            if (inner.ReadValue() is not List<object?> { Count: 3 } parts)
                throw new InvalidDataException($"{source}: the array at offset {at} does not hold [shape, dtype, bytes].");
            var shape = parts[0] switch
            {
                List<object?> dims when dims.All(d => d is long n && n >= 0) => dims.Select(d => (long)d!).ToArray(),
                _ => throw new InvalidDataException($"{source}: the array at offset {at} has a shape that is not a list of non-negative integers."),
            };
            if (parts[1] is not string dtype) throw new InvalidDataException($"{source}: the array at offset {at} has no dtype name.");
            if (parts[2] is not byte[] data) throw new InvalidDataException($"{source}: the array at offset {at} has no data bytes.");
            var array = new Array(shape, dtype, data);
            long size = dtype switch { "float32" or "int32" or "uint32" => 4, "float64" or "int64" or "uint64" => 8, "float16" or "bfloat16" or "int16" => 2, _ => 1 };
            if (array.ElementCount * size != data.Length)
                throw new InvalidDataException($"{source}: the array at offset {at} of shape [{string.Join(", ", shape)}] and dtype {dtype} has {data.Length} bytes, expected {array.ElementCount * size}.");
            return array;
        }

        private byte Byte() => Take(1)[0];
        private ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));
        private uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));
        private int Length(uint n) => n <= int.MaxValue ? (int)n : throw new InvalidDataException($"{source}: a msgpack length of {n} is too large.");

        private byte[] Take(int n)
        {
            if (n < 0 || Position + n > bytes.Length)
                throw new InvalidDataException($"{source}: truncated msgpack data at offset {Position} (needs {n} bytes, {bytes.Length - Position} left).");
            var r = bytes.AsSpan(Position, n).ToArray();
            Position += n;
            return r;
        }
    }
}
