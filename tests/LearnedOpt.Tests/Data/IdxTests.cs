using System.Buffers.Binary;
using LearnedOpt.Data;

namespace LearnedOpt.Tests.Data;

[Trait("tier", "cpu")]
public class IdxTests
{
    private static byte[] Pattern(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 37 + 11)).ToArray();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UInt8FileRoundTrips(bool gzip)
    {
        using var dir = new TempDirectory();
        var path = dir.File(gzip ? "x.idx.gz" : "x.idx");
        var data = Pattern(3 * 4 * 5);
        IdxWriter.WriteBytes(path, [3, 4, 5], data, gzip);
        var read = IdxReader.Read(path);
        Assert.Equal(IdxDataType.UInt8, read.Type);
        Assert.Equal([3, 4, 5], read.Dimensions);
        Assert.Equal(data, read.AsBytes());
        Assert.Equal(gzip, File.ReadAllBytes(path)[0] == 0x1F);
    }

    [Fact]
    public void WideTypesAreBigEndian()
    {
        using var dir = new TempDirectory();
        int[] ints = [-1, 258, 65536, int.MinValue];
        var bytes = new byte[16];
        for (int i = 0; i < 4; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 * i), ints[i]);
        IdxWriter.Write(dir.File("i.idx"), new IdxFile(IdxDataType.Int32, [2, 2], bytes), gzip: false);
        var read = IdxReader.Read(dir.File("i.idx"));
        Assert.Equal(ints.Select(v => (double)v), Enumerable.Range(0, 4).Select(i => read[i]));
        // Header: 00 00 0C 02, then 2 and 2 as big-endian int32.
        Assert.Equal(new byte[] { 0, 0, 0x0C, 2, 0, 0, 0, 2, 0, 0, 0, 2 }, File.ReadAllBytes(dir.File("i.idx"))[..12]);

        double[] doubles = [Math.PI, -0.0, 1e-300];
        var db = new byte[24];
        for (int i = 0; i < 3; i++) BinaryPrimitives.WriteDoubleBigEndian(db.AsSpan(8 * i), doubles[i]);
        IdxWriter.Write(dir.File("d.idx.gz"), new IdxFile(IdxDataType.Float64, [3], db), gzip: true);
        var rd = IdxReader.Read(dir.File("d.idx.gz"));
        Assert.Equal(doubles, Enumerable.Range(0, 3).Select(i => rd[i]));
    }

    [Fact]
    public void RealFashionMnistLabelsRoundTrip()
    {
        var fm = FashionMnistGuard.RequireDirectory();
        var path = FashionMnistLocator.FilePath(fm, "t10k-labels-idx1-ubyte")!;
        var labels = IdxReader.Read(path);
        Assert.Equal(IdxDataType.UInt8, labels.Type);
        Assert.Equal([10_000], labels.Dimensions);
        using var dir = new TempDirectory();
        foreach (var gzip in new[] { false, true })
        {
            var copy = dir.File($"copy{gzip}");
            IdxWriter.Write(copy, labels, gzip);
            var back = IdxReader.Read(copy);
            Assert.Equal(labels.Dimensions, back.Dimensions);
            Assert.Equal(labels.Data, back.Data);
        }
    }

    [Theory]
    [InlineData(2, 2)]     // inside the magic number
    [InlineData(9, 9)]     // inside the dimension sizes
    [InlineData(25, 25)]   // inside the data: header 12 bytes + 13 of 40 data bytes
    public void TruncatedFileNamesFileAndOffset(int keep, long offset)
    {
        using var dir = new TempDirectory();
        var path = dir.File("t.idx");
        IdxWriter.WriteBytes(path, [10, 4], Pattern(40), gzip: false);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..keep]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains($"at byte offset {offset}", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void TruncatedGzipFileIsRejectedNamingTheFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("t.idx.gz");
        IdxWriter.WriteBytes(path, [200, 50], Pattern(10_000), gzip: true);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("offset", e.Message);
    }

    [Theory]
    [InlineData(0, 0x12, 0L, "magic")]
    [InlineData(2, 0x07, 2L, "type code")]
    [InlineData(3, 0x00, 3L, "dimension count")]
    [InlineData(4, 0x80, 4L, "negative")]
    public void CorruptHeaderNamesFileAndOffset(int position, byte value, long offset, string what)
    {
        using var dir = new TempDirectory();
        var path = dir.File("c.idx");
        IdxWriter.WriteBytes(path, [10, 4], Pattern(40), gzip: false);
        var bytes = File.ReadAllBytes(path);
        bytes[position] = value;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains($"at byte offset {offset}", e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void TrailingBytesAreRejected()
    {
        using var dir = new TempDirectory();
        var path = dir.File("x.idx");
        IdxWriter.WriteBytes(path, [10, 4], Pattern(40), gzip: false);
        File.WriteAllBytes(path, [.. File.ReadAllBytes(path), 1, 2, 3]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains("at byte offset 52", e.Message);
        Assert.Contains("3 unexpected bytes", e.Message);
    }

    [Fact]
    public void ImageAndLabelCountMismatchNamesBothFiles()
    {
        using var dir = new TempDirectory();
        var images = dir.File("images.gz");
        var labels = dir.File("labels.gz");
        IdxWriter.WriteBytes(images, [5, 2, 2], Pattern(20), gzip: true);
        IdxWriter.WriteBytes(labels, [4], [0, 1, 2, 3], gzip: true);
        var e = Assert.Throws<InvalidDataException>(() => LabeledImageLoader.Load(images, labels, 10, out _, out _));
        Assert.Contains(images, e.Message);
        Assert.Contains(labels, e.Message);
        Assert.Contains("5 images", e.Message);
        Assert.Contains("4 labels", e.Message);
    }

    [Fact]
    public void OutOfRangeLabelNamesFileAndOffset()
    {
        using var dir = new TempDirectory();
        IdxWriter.WriteBytes(dir.File("i"), [3, 1, 1], [0, 128, 255], gzip: false);
        IdxWriter.WriteBytes(dir.File("l"), [3], [0, 9, 10], gzip: false);
        var e = Assert.Throws<InvalidDataException>(() => LabeledImageLoader.Load(dir.File("i"), dir.File("l"), 10, out _, out _));
        Assert.Contains(dir.File("l"), e.Message);
        Assert.Contains("at byte offset 10", e.Message);
    }

    [Fact]
    public void LoaderScalesPixelsToUnitInterval()
    {
        using var dir = new TempDirectory();
        IdxWriter.WriteBytes(dir.File("i"), [2, 1, 2], [0, 51, 255, 102], gzip: false);
        IdxWriter.WriteBytes(dir.File("l"), [2], [7, 3], gzip: false);
        var data = LabeledImageLoader.Load(dir.File("i"), dir.File("l"), 10, out int h, out int w);
        Assert.Equal((1, 2), (h, w));
        Assert.Equal([0f, 51 / 255f], data.Row(0).ToArray());
        Assert.Equal([1f, 102 / 255f], data.Row(1).ToArray());
        Assert.Equal(7, data.Label(0));
        Assert.Equal(3, data.Label(1));
    }
}
