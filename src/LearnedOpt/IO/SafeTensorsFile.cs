using System.Text;
using System.Text.Json;

namespace LearnedOpt.IO;

/// <summary>
/// Reader and writer of the safetensors format: an 8-byte little-endian header length N, N bytes
/// of JSON (name → dtype, shape, data_offsets; optional "__metadata__"), then the raw data,
/// contiguous and without gaps. Writes are atomic (temporary file, flush, rename); reads verify
/// every offset, size and the data section's length, and name the file and tensor at fault.
/// </summary>
public static class SafeTensorsFile
{
    private const long MaxHeaderBytes = 100L << 20;

    public sealed record Document(IReadOnlyList<SafeTensor> Tensors, IReadOnlyDictionary<string, string> Metadata)
    {
        public SafeTensor? Find(string name) => Tensors.FirstOrDefault(t => t.Name == name);

        public SafeTensor Get(string name, string file = "")
            => Find(name) ?? throw new InvalidDataException($"{(file.Length > 0 ? file + ": " : "")}tensor '{name}' is missing.");
    }

    public static void Write(string path, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        AtomicFile.Write(path, Serialize(tensors, metadata));
    }

    public static byte[] Serialize(IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var dup = list.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"Tensor name '{dup.Key}' appears twice.", nameof(tensors));

        using var headerStream = new MemoryStream();
        using (var w = new Utf8JsonWriter(headerStream))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in list)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", t.DType.ToString());
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + t.Data.LongLength);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += t.Data.LongLength;
            }
            w.WriteEndObject();
        }
        var header = headerStream.ToArray();
        int padded = (header.Length + 7) / 8 * 8;
        long total = 8 + padded + list.Sum(t => t.Data.LongLength);
        var result = new byte[total];
        BitConverter.TryWriteBytes(result.AsSpan(0, 8), (ulong)padded);
        header.CopyTo(result, 8);
        result.AsSpan(8 + header.Length, padded - header.Length).Fill((byte)' ');
        long pos = 8 + padded;
        foreach (var t in list)
        {
            t.Data.CopyTo(result, pos);
            pos += t.Data.LongLength;
        }
        return result;
    }

    public static Document Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: cannot read safetensors file ({e.Message}).", e);
        }
        return Parse(bytes, path);
    }

    public static Document Parse(byte[] bytes, string source)
    {
        if (bytes.Length < 8)
            throw Bad(source, $"file is {bytes.Length} bytes, shorter than the 8-byte header length");
        ulong n = BitConverter.ToUInt64(bytes, 0);
        if (n > MaxHeaderBytes || (long)n > bytes.Length - 8)
            throw Bad(source, $"header length {n} at offset 0 exceeds the file's {bytes.Length - 8} remaining bytes (truncated or not safetensors)");
        int headerLength = (int)n;
        long dataStart = 8 + headerLength;

        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        }
        catch (JsonException e)
        {
            throw Bad(source, $"header JSON (offset 8, {headerLength} bytes) is corrupt: {e.Message}");
        }

        using (json)
        {
            if (json.RootElement.ValueKind != JsonValueKind.Object) throw Bad(source, "header is not a JSON object");
            var metadata = new Dictionary<string, string>();
            var entries = new List<(string Name, SafeTensorDType DType, long[] Shape, long Begin, long End)>();
            foreach (var prop in json.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw Bad(source, "__metadata__ is not an object");
                    foreach (var m in prop.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw Bad(source, $"__metadata__ value '{m.Name}' is not a string");
                    continue;
                }
                entries.Add(ParseEntry(prop, source));
            }

            long dataLength = bytes.LongLength - dataStart;
            var ordered = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
            long expectedBegin = 0;
            foreach (var e in ordered)
            {
                if (e.Begin != expectedBegin)
                    throw Bad(source, $"tensor '{e.Name}' starts at data offset {e.Begin}, expected {expectedBegin} (gap or overlap)");
                if (e.End > dataLength)
                    throw Bad(source, $"tensor '{e.Name}' ends at data offset {e.End} (file offset {dataStart + e.End}) beyond the file's end at {bytes.LongLength}: truncated");
                expectedBegin = e.End;
            }
            if (expectedBegin != dataLength)
                throw Bad(source, $"data section holds {dataLength} bytes but the tensors cover {expectedBegin}");

            var tensors = entries.Select(e => new SafeTensor(e.Name, e.DType, e.Shape, bytes.AsSpan((int)(dataStart + e.Begin), (int)(e.End - e.Begin)).ToArray())).ToList();
            return new Document(tensors, metadata);
        }
    }

    private static (string, SafeTensorDType, long[], long, long) ParseEntry(JsonProperty prop, string source)
    {
        var name = prop.Name;
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object) throw Bad(source, $"tensor '{name}': entry is not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw Bad(source, $"tensor '{name}': missing dtype");
        var dtype = dt.GetString() switch
        {
            "F32" => SafeTensorDType.F32,
            "F64" => SafeTensorDType.F64,
            "I64" => SafeTensorDType.I64,
            var other => throw Bad(source, $"tensor '{name}': unsupported dtype '{other}' (F32, F64 and I64 are read)"),
        };
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw Bad(source, $"tensor '{name}': missing shape");
        var shape = new List<long>();
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var x) || x < 0)
                throw Bad(source, $"tensor '{name}': shape entry {d} is not a non-negative integer");
            shape.Add(x);
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad(source, $"tensor '{name}': data_offsets must be [begin, end]");
        long begin = off[0].GetInt64(), end = off[1].GetInt64();
        long count;
        try { count = shape.Aggregate(1L, (a, b) => checked(a * b)); }
        catch (OverflowException) { throw Bad(source, $"tensor '{name}': shape overflows"); }
        long expected = count * SafeTensor.ElementSize(dtype);
        if (begin < 0 || end < begin || end - begin != expected)
            throw Bad(source, $"tensor '{name}': data_offsets [{begin}, {end}) hold {end - begin} bytes, but shape [{string.Join(",", shape)}] of {dtype} needs {expected}");
        return (name, dtype, shape.ToArray(), begin, end);
    }

    private static InvalidDataException Bad(string source, string what) => new($"{source}: {what}.");

    /// <summary>UTF-8 text of a file's header JSON, for diagnostics.</summary>
    public static string HeaderText(byte[] bytes) => Encoding.UTF8.GetString(bytes, 8, (int)BitConverter.ToUInt64(bytes, 0));
}
