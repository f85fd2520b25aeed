using System.Security.Cryptography;

namespace LearnedOpt.Cuda;

/// <summary>
/// On-disk cache of compiled kernel images. Each entry is "LOPTKC1\n", the SHA-256 of the payload,
/// then the payload; an entry whose hash does not match (truncated, corrupted) reads as a miss and
/// is recompiled. Writes go to a temporary file that is renamed over the entry, so a reader never
/// sees a half-written file even with several processes compiling at once. Best effort: an
/// unwritable folder disables caching rather than failing the compile.
/// </summary>
public sealed class KernelCache(string directory)
{
    private static readonly byte[] Magic = "LOPTKC1\n"u8.ToArray();
    private const int HashBytes = 32;

    public string Directory { get; } = directory;

    /// <summary>$LOPT_KERNEL_CACHE, else $XDG_CACHE_HOME/learnedopt/kernels, else ~/.cache/learnedopt/kernels.</summary>
    public static string DefaultDirectory() => DefaultDirectory(Environment.GetEnvironmentVariable,
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>Testable form: the environment and home folder are inputs.</summary>
    public static string DefaultDirectory(Func<string, string?> env, string? home)
    {
        var explicitDir = env("LOPT_KERNEL_CACHE");
        if (!string.IsNullOrWhiteSpace(explicitDir)) return explicitDir;
        var xdg = env("XDG_CACHE_HOME");
        if (!string.IsNullOrWhiteSpace(xdg)) return Path.Combine(xdg, "learnedopt", "kernels");
        if (!string.IsNullOrWhiteSpace(home)) return Path.Combine(home, ".cache", "learnedopt", "kernels");
        return Path.Combine(Path.GetTempPath(), "learnedopt", "kernels");
    }

    public string PathFor(string entryName) => Path.Combine(Directory, entryName);

    /// <summary>The payload of a valid entry, or null when it is missing or corrupt.</summary>
    public byte[]? TryRead(string entryName)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(PathFor(entryName));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (bytes.Length < Magic.Length + HashBytes || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic)) return null;
        var payload = bytes.AsSpan(Magic.Length + HashBytes);
        var hash = SHA256.HashData(payload);
        return hash.AsSpan().SequenceEqual(bytes.AsSpan(Magic.Length, HashBytes)) ? payload.ToArray() : null;
    }

    /// <summary>Stores a payload atomically; returns false when the folder is not writable.</summary>
    public bool TryWrite(string entryName, ReadOnlySpan<byte> payload)
    {
        string? temp = null;
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            temp = PathFor($".{entryName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(Magic);
                f.Write(SHA256.HashData(payload));
                f.Write(payload);
                f.Flush(flushToDisk: true);
            }
            File.Move(temp, PathFor(entryName), overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (temp != null)
                try { File.Delete(temp); } catch (Exception d) when (d is IOException or UnauthorizedAccessException) { }
            return false;
        }
    }
}
