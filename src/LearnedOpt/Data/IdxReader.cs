using System.Buffers.Binary;
using System.IO.Compression;

namespace LearnedOpt.Data;

/// <summary>
/// Reads IDX files, plain or gzip-compressed (detected by the gzip magic, not the file name).
/// Every failure is an <see cref="InvalidDataException"/> naming the file and the byte offset;
/// for a gzip file, offsets count bytes of the decompressed stream.
/// </summary>
public static class IdxReader
{
    public static IdxFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file '{path}' does not exist.", path);
        var raw = File.ReadAllBytes(path);
        bool gzip = raw.Length >= 2 && raw[0] == 0x1F && raw[1] == 0x8B;
        var bytes = gzip ? Decompress(raw, path) : raw;
        return Parse(bytes, gzip ? $"{path} (decompressed)" : path);
    }

    /// <summary>Parses IDX bytes; <paramref name="source"/> names them in errors.</summary>
    public static IdxFile Parse(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < 4)
            throw Bad(source, bytes.Length, $"truncated: the 4-byte magic number needs 4 bytes, the file has {bytes.Length}");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw Bad(source, 0, $"bad magic number: expected 0x00 0x00, found 0x{bytes[0]:X2} 0x{bytes[1]:X2} (not an IDX file)");
        var type = (IdxDataType)bytes[2];
        int size = IdxDataTypes.SizeOf(type);
        if (size == 0)
            throw Bad(source, 2, $"unknown element type code 0x{bytes[2]:X2}; expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E");
        int rank = bytes[3];
        if (rank == 0) throw Bad(source, 3, "the dimension count is 0");

        int header = 4 + 4 * rank;
        if (bytes.Length < header)
            throw Bad(source, bytes.Length, $"truncated: {rank} dimensions need a {header}-byte header, the file has {bytes.Length} bytes");
        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            int offset = 4 + 4 * i;
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes[offset..]);
            if (dims[i] < 0) throw Bad(source, offset, $"dimension {i} is negative ({dims[i]})");
            count *= dims[i];
            if (count > Array.MaxLength) throw Bad(source, offset, $"dimensions [{string.Join(", ", dims[..(i + 1)])}] hold more elements than fit in memory");
        }
        long end = header + count * size;
        if (bytes.Length < end)
            throw Bad(source, bytes.Length, $"truncated: dimensions [{string.Join(", ", dims)}] of {type} need data up to byte {end}, the file ends at byte {bytes.Length}");
        if (bytes.Length > end)
            throw Bad(source, end, $"{bytes.Length - end} unexpected bytes after the data of dimensions [{string.Join(", ", dims)}]");
        return new IdxFile(type, dims, bytes[header..(int)end].ToArray());
    }

    private static byte[] Decompress(byte[] raw, string path)
    {
        using var input = new MemoryStream(raw);
        using var gz = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        try
        {
            gz.CopyTo(output);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: corrupt gzip data near compressed byte offset {input.Position} (decompressed {output.Length} bytes so far): {e.Message}", e);
        }
        return output.ToArray();
    }

    private static InvalidDataException Bad(string source, long offset, string what) => new($"{source}: at byte offset {offset}: {what}.");
}
