using System.Buffers.Binary;
using System.IO.Compression;

namespace LearnedOpt.Data;

/// <summary>Writes IDX files (plain or gzip-compressed): test fixtures and exported datasets.</summary>
public static class IdxWriter
{
    public static void Write(string path, IdxFile file, bool gzip)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(file);
        using var stream = File.Create(path);
        if (gzip)
        {
            using var gz = new GZipStream(stream, CompressionLevel.Fastest);
            WriteTo(gz, file);
        }
        else
        {
            WriteTo(stream, file);
        }
    }

    /// <summary>A UInt8 file of the given dimensions (images, labels).</summary>
    public static void WriteBytes(string path, int[] dimensions, byte[] data, bool gzip)
        => Write(path, new IdxFile(IdxDataType.UInt8, dimensions, data), gzip);

    private static void WriteTo(Stream stream, IdxFile file)
    {
        Span<byte> header = stackalloc byte[4 + 4 * file.Dimensions.Count];
        header[2] = (byte)file.Type;
        header[3] = (byte)file.Dimensions.Count;
        for (int i = 0; i < file.Dimensions.Count; i++)
            BinaryPrimitives.WriteInt32BigEndian(header[(4 + 4 * i)..], file.Dimensions[i]);
        stream.Write(header);
        stream.Write(file.Data);
    }
}
