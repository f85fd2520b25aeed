using System.Buffers.Binary;
using System.Text;
using LearnedOpt.Cuda;

namespace LearnedOpt.Tests.Cuda;

/// <summary>The ELF reader against a hand-built ELF64 (no NVRTC needed) and against malformed input.</summary>
[Trait("tier", "cpu")]
public class CubinInfoTests
{
    /// <summary>A minimal ELF64: null section, .shstrtab, and one .text.&lt;name&gt; per kernel of the given size.</summary>
    private static byte[] BuildElf(params (string Name, int Size)[] kernels)
    {
        var names = new List<byte> { 0 };
        int AddName(string s)
        {
            var at = names.Count;
            names.AddRange(Encoding.ASCII.GetBytes(s));
            names.Add(0);
            return at;
        }
        var shstrName = AddName(".shstrtab");
        var kernelNames = kernels.Select(k => AddName(".text." + k.Name)).ToArray();
        var otherName = AddName(".nv.info");

        int sections = 3 + kernels.Length;
        int namesAt = 64;
        int codeAt = namesAt + names.Count;
        int codeBytes = kernels.Sum(k => k.Size);
        int shoff = (codeAt + codeBytes + 7) / 8 * 8;
        var f = new byte[shoff + sections * 64];
        f[0] = 0x7f; f[1] = (byte)'E'; f[2] = (byte)'L'; f[3] = (byte)'F'; f[4] = 2; f[5] = 1; f[6] = 1;
        BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(0x28), (ulong)shoff);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(0x3A), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(0x3C), (ushort)sections);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(0x3E), 1);
        names.ToArray().CopyTo(f, namesAt);

        void Section(int index, int name, int offset, int size)
        {
            var h = f.AsSpan(shoff + index * 64, 64);
            BinaryPrimitives.WriteUInt32LittleEndian(h, (uint)name);
            BinaryPrimitives.WriteUInt64LittleEndian(h[24..], (ulong)offset);
            BinaryPrimitives.WriteUInt64LittleEndian(h[32..], (ulong)size);
        }
        Section(1, shstrName, namesAt, names.Count);
        int at = codeAt;
        for (int i = 0; i < kernels.Length; i++)
        {
            Section(2 + i, kernelNames[i], at, kernels[i].Size);
            at += kernels[i].Size;
        }
        Section(2 + kernels.Length, otherName, codeAt, 0);
        return f;
    }

    [Fact]
    public void ListsTextSectionsAsKernelsSortedWithTheirSizes()
    {
        var elf = BuildElf(("zeta", 128), ("alpha", 256));
        Assert.Equal([new CubinInfo.KernelEntry("alpha", 256), new CubinInfo.KernelEntry("zeta", 128)], CubinInfo.Kernels(elf));
    }

    [Fact]
    public void NotElfIsRejected()
        => Assert.Contains("ELF magic", Assert.Throws<InvalidDataException>(() => CubinInfo.Kernels("// PTX text"u8)).Message);

    [Fact]
    public void Elf32IsRejected()
    {
        var elf = BuildElf(("k", 16));
        elf[4] = 1;
        Assert.Contains("ELF64", Assert.Throws<InvalidDataException>(() => CubinInfo.Kernels(elf)).Message);
    }

    [Fact]
    public void TruncationAnywhereIsAnInvalidDataExceptionNeverACrash()
    {
        var elf = BuildElf(("k", 64), ("m", 32));
        for (int len = 0; len < elf.Length; len++)
        {
            var cut = elf[..len];
            Assert.Throws<InvalidDataException>(() => CubinInfo.Kernels(cut));
        }
    }

    [Fact]
    public void SectionPastTheEndIsRejected()
    {
        var elf = BuildElf(("k", 16));
        var shoff = (int)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(0x28));
        BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(shoff + 64 + 32), 1UL << 40); // .shstrtab size
        Assert.Contains("runs past", Assert.Throws<InvalidDataException>(() => CubinInfo.Kernels(elf)).Message);
    }
}
