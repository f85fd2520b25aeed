using System.Buffers.Binary;
using System.Text;

namespace LearnedOpt.Cuda;

/// <summary>
/// Reads a CUBIN (a little-endian ELF64 file) far enough to list its kernels: each kernel's
/// machine code lives in a section named ".text.&lt;kernel&gt;", whose size is the code size.
/// </summary>
public static class CubinInfo
{
    /// <summary>One kernel of a CUBIN and the bytes of SASS it compiled to.</summary>
    public sealed record KernelEntry(string Name, long CodeBytes);

    private const int HeaderBytes = 64;
    private const int SectionHeaderBytes = 64;

    public static bool IsElf(ReadOnlySpan<byte> image)
        => image.Length >= 4 && image[0] == 0x7f && image[1] == (byte)'E' && image[2] == (byte)'L' && image[3] == (byte)'F';

    /// <summary>The kernels of <paramref name="cubin"/> sorted by name; throws <see cref="InvalidDataException"/> for a malformed file.</summary>
    public static IReadOnlyList<KernelEntry> Kernels(ReadOnlySpan<byte> cubin)
    {
        if (!IsElf(cubin)) throw new InvalidDataException("Not a CUBIN: the image does not start with the ELF magic.");
        if (cubin.Length < HeaderBytes) throw new InvalidDataException($"Truncated CUBIN: {cubin.Length} bytes, an ELF64 header needs {HeaderBytes}.");
        if (cubin[4] != 2) throw new InvalidDataException($"Not an ELF64 CUBIN (EI_CLASS = {cubin[4]}).");
        if (cubin[5] != 1) throw new InvalidDataException($"Not a little-endian CUBIN (EI_DATA = {cubin[5]}).");

        var shoff = BinaryPrimitives.ReadUInt64LittleEndian(cubin[0x28..]);
        var shentsize = BinaryPrimitives.ReadUInt16LittleEndian(cubin[0x3A..]);
        var shnum = BinaryPrimitives.ReadUInt16LittleEndian(cubin[0x3C..]);
        var shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(cubin[0x3E..]);
        if (shentsize != SectionHeaderBytes) throw new InvalidDataException($"Unexpected ELF section header size {shentsize}.");
        if (shstrndx >= shnum) throw new InvalidDataException($"ELF section-name table index {shstrndx} is out of range ({shnum} sections).");
        if (shoff > (ulong)cubin.Length || (ulong)shnum * SectionHeaderBytes > (ulong)cubin.Length - shoff)
            throw new InvalidDataException($"Truncated CUBIN: the section table ({shnum} x {SectionHeaderBytes} bytes at {shoff}) runs past its {cubin.Length} bytes.");

        var table = cubin.Slice((int)shoff, shnum * SectionHeaderBytes);
        var names = Section(cubin, table, shstrndx);
        var kernels = new List<KernelEntry>();
        for (int i = 0; i < shnum; i++)
        {
            var header = table.Slice(i * SectionHeaderBytes, SectionHeaderBytes);
            var name = ReadName(names, BinaryPrimitives.ReadUInt32LittleEndian(header));
            if (name.StartsWith(".text.", StringComparison.Ordinal))
                kernels.Add(new KernelEntry(name[".text.".Length..], (long)BinaryPrimitives.ReadUInt64LittleEndian(header[32..])));
        }
        return kernels.OrderBy(k => k.Name, StringComparer.Ordinal).ToList();
    }

    private static ReadOnlySpan<byte> Section(ReadOnlySpan<byte> file, ReadOnlySpan<byte> table, int index)
    {
        var header = table.Slice(index * SectionHeaderBytes, SectionHeaderBytes);
        var offset = BinaryPrimitives.ReadUInt64LittleEndian(header[24..]);
        var size = BinaryPrimitives.ReadUInt64LittleEndian(header[32..]);
        if (offset > (ulong)file.Length || size > (ulong)file.Length - offset)
            throw new InvalidDataException($"Truncated CUBIN: section {index} ({size} bytes at {offset}) runs past the end.");
        return file.Slice((int)offset, (int)size);
    }

    private static string ReadName(ReadOnlySpan<byte> strings, uint offset)
    {
        if (offset >= strings.Length) throw new InvalidDataException($"ELF section name offset {offset} is outside the name table.");
        var rest = strings[(int)offset..];
        var end = rest.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? rest : rest[..end]);
    }
}
