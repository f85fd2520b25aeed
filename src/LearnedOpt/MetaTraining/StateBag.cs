using System.Runtime.InteropServices;
using LearnedOpt.IO;

namespace LearnedOpt.MetaTraining;

/// <summary>
/// Named arrays of a checkpoint (float32, float64, int64; uint64 stored bit-for-bit as int64),
/// held as safetensors tensors. Reads check the name exists and the element count, and name the
/// source in every error, so a damaged or mismatched checkpoint fails with a clear message.
/// </summary>
public sealed class StateBag
{
    private readonly Dictionary<string, SafeTensor> _tensors = new(StringComparer.Ordinal);

    public StateBag(string source = "state") => Source = source;

    public string Source { get; }

    public IEnumerable<SafeTensor> Tensors => _tensors.Values.OrderBy(t => t.Name, StringComparer.Ordinal);

    public static StateBag From(SafeTensorsFile.Document doc, string source)
    {
        ArgumentNullException.ThrowIfNull(doc);
        var bag = new StateBag(source);
        foreach (var t in doc.Tensors) bag._tensors[t.Name] = t;
        return bag;
    }

    public bool Contains(string name) => _tensors.ContainsKey(name);

    public void SetFloats(string name, ReadOnlySpan<float> v) => _tensors[name] = SafeTensor.FromFloats(name, v);

    public void SetDoubles(string name, ReadOnlySpan<double> v)
        => _tensors[name] = new SafeTensor(name, SafeTensorDType.F64, [v.Length], MemoryMarshal.AsBytes(v).ToArray());

    public void SetLongs(string name, ReadOnlySpan<long> v)
        => _tensors[name] = new SafeTensor(name, SafeTensorDType.I64, [v.Length], MemoryMarshal.AsBytes(v).ToArray());

    public void SetULongs(string name, ReadOnlySpan<ulong> v) => SetLongs(name, MemoryMarshal.Cast<ulong, long>(v));

    public float[] GetFloats(string name, int? length = null) => MemoryMarshal.Cast<byte, float>(Raw(name, SafeTensorDType.F32, length)).ToArray();

    public double[] GetDoubles(string name, int? length = null) => MemoryMarshal.Cast<byte, double>(Raw(name, SafeTensorDType.F64, length)).ToArray();

    public long[] GetLongs(string name, int? length = null) => MemoryMarshal.Cast<byte, long>(Raw(name, SafeTensorDType.I64, length)).ToArray();

    public ulong[] GetULongs(string name, int? length = null) => MemoryMarshal.Cast<byte, ulong>(Raw(name, SafeTensorDType.I64, length)).ToArray();

    private byte[] Raw(string name, SafeTensorDType dtype, int? length)
    {
        if (!_tensors.TryGetValue(name, out var t)) throw new InvalidDataException($"{Source}: entry '{name}' is missing.");
        if (t.DType != dtype) throw new InvalidDataException($"{Source}: entry '{name}' has dtype {t.DType}, expected {dtype}.");
        if (length is { } n && t.ElementCount != n)
            throw new InvalidDataException($"{Source}: entry '{name}' has {t.ElementCount} values, expected {n}.");
        return t.Data;
    }
}
