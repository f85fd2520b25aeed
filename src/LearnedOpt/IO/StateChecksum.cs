using System.Security.Cryptography;
using System.Text;

namespace LearnedOpt.IO;

/// <summary>
/// SHA-256 over a state file's tensors (name, dtype, shape, data; in name order), stored in its
/// metadata so that a load can tell a damaged or edited file from a good one.
/// </summary>
public static class StateChecksum
{
    /// <summary>The metadata key the checksum is stored under.</summary>
    public const string MetadataKey = "sha256";

    /// <summary>Lower-case hex SHA-256 of <paramref name="tensors"/>.</summary>
    public static string Compute(IEnumerable<SafeTensor> tensors)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> word = stackalloc byte[8];
        foreach (var t in tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var name = Encoding.UTF8.GetBytes(t.Name);
            BitConverter.TryWriteBytes(word, (long)name.Length);
            hash.AppendData(word);
            hash.AppendData(name);
            BitConverter.TryWriteBytes(word, (long)t.DType);
            hash.AppendData(word);
            BitConverter.TryWriteBytes(word, (long)t.Shape.Length);
            hash.AppendData(word);
            foreach (var d in t.Shape)
            {
                BitConverter.TryWriteBytes(word, d);
                hash.AppendData(word);
            }
            hash.AppendData(t.Data);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Throws an <see cref="InvalidDataException"/> naming <paramref name="source"/> unless the stored checksum matches.</summary>
    public static void Verify(SafeTensorsFile.Document document, string source)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (!document.Metadata.TryGetValue(MetadataKey, out var stored))
            throw new InvalidDataException($"{source}: no '{MetadataKey}' checksum in the metadata; not a state file written by SaveState.");
        var actual = Compute(document.Tensors);
        if (!string.Equals(stored, actual, StringComparison.Ordinal))
            throw new InvalidDataException($"{source}: checksum mismatch (stored {stored}, content {actual}); the file is damaged or was edited.");
    }
}
