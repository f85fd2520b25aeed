using System.Text;
using LearnedOpt.IO;

namespace LearnedOpt.Tests.IO;

[Trait("tier", "cpu")]
public class SafeTensorsFileTests
{
    private static SafeTensor[] Sample() =>
    [
        SafeTensor.FromFloats("layer/w", [2, 3], [1, 2, 3, 4, 5, float.NaN]),
        SafeTensor.FromFloats("b", [1f]),
        SafeTensor.FromInt64("step", 17),
        new SafeTensor("d", SafeTensorDType.F64, [2], BitConverter.GetBytes(1.5).Concat(BitConverter.GetBytes(-2.25)).ToArray()),
    ];

    [Fact]
    public void RoundTripKeepsNamesShapesValuesAndMetadata()
    {
        var path = TempPath();
        try
        {
            SafeTensorsFile.Write(path, Sample(), new Dictionary<string, string> { ["format"] = "test" });
            var doc = SafeTensorsFile.Read(path);
            Assert.Equal("test", doc.Metadata["format"]);
            Assert.Equal(new long[] { 2, 3 }, doc.Get("layer/w").Shape);
            var w = doc.Get("layer/w").ToFloats();
            Assert.Equal(new float[] { 1, 2, 3, 4, 5 }, w[..5]);
            Assert.True(float.IsNaN(w[5]));
            Assert.Equal(17, doc.Get("step").ToInt64());
            Assert.Equal(new[] { 1.5, -2.25 }, doc.Get("d").ToDoubles());
            Assert.Equal(new float[] { 1.5f, -2.25f }, doc.Get("d").ToFloats());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void HeaderIsPaddedToEightBytesAndDataIsContiguous()
    {
        var bytes = SafeTensorsFile.Serialize(Sample());
        ulong n = BitConverter.ToUInt64(bytes, 0);
        Assert.Equal(0UL, n % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{", header);
        Assert.Equal(8 + (long)n + 24 + 4 + 8 + 16, bytes.LongLength);
    }

    [Fact]
    public void TruncatedFileIsRejectedNamingTheTensorAndOffset()
    {
        var bytes = SafeTensorsFile.Serialize(Sample());
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(bytes[..^3], "x.safetensors"));
        Assert.Contains("x.safetensors", e.Message);
        Assert.Contains("'d'", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void ShortFileIsRejected()
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse([1, 2, 3], "s.safetensors"));
        Assert.Contains("shorter than the 8-byte header", e.Message);
    }

    [Fact]
    public void HeaderLengthBeyondTheFileIsRejected()
    {
        var bytes = SafeTensorsFile.Serialize(Sample());
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (ulong)bytes.Length);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(bytes, "h.safetensors"));
        Assert.Contains("header length", e.Message);
    }

    [Fact]
    public void CorruptHeaderJsonIsRejected()
    {
        var bytes = SafeTensorsFile.Serialize(Sample());
        bytes[9] = (byte)'#';
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(bytes, "c.safetensors"));
        Assert.Contains("header JSON", e.Message);
    }

    [Fact]
    public void SizeThatDisagreesWithTheShapeIsRejected()
    {
        var json = """{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""";
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(Build(json, 8), "s.safetensors"));
        Assert.Contains("'w'", e.Message);
        Assert.Contains("needs 12", e.Message);
    }

    [Fact]
    public void GapBetweenTensorsIsRejected()
    {
        var json = """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""";
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(Build(json, 12), "g.safetensors"));
        Assert.Contains("'b'", e.Message);
        Assert.Contains("gap or overlap", e.Message);
    }

    [Fact]
    public void UnsupportedDtypeIsRejected()
    {
        var json = """{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}""";
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(Build(json, 4), "u.safetensors"));
        Assert.Contains("BF16", e.Message);
    }

    [Fact]
    public void TrailingBytesAreRejected()
    {
        var json = """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""";
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(Build(json, 8), "t.safetensors"));
        Assert.Contains("data section holds 8 bytes", e.Message);
    }

    [Fact]
    public void WriteIsAtomicAndLeavesNoTemporaryFiles()
    {
        var dir = Directory.CreateTempSubdirectory("lopt-st").FullName;
        try
        {
            var path = Path.Combine(dir, "a.safetensors");
            SafeTensorsFile.Write(path, Sample());
            SafeTensorsFile.Write(path, [SafeTensor.FromFloats("only", [3f])]);
            Assert.Equal(["a.safetensors"], Directory.GetFiles(dir).Select(Path.GetFileName));
            Assert.Single(SafeTensorsFile.Read(path).Tensors);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void DuplicateNamesAreRejectedOnWrite()
    {
        var e = Assert.Throws<ArgumentException>(() => SafeTensorsFile.Serialize([SafeTensor.FromFloats("a", [1f]), SafeTensor.FromFloats("a", [2f])]));
        Assert.Contains("'a'", e.Message);
    }

    private static byte[] Build(string json, int dataBytes)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataBytes];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private static string TempPath() => Path.Combine(Path.GetTempPath(), $"lopt-{Guid.NewGuid():N}.safetensors");
}
