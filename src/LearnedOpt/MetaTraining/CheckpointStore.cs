using System.Globalization;
using System.Security.Cryptography;
using LearnedOpt.IO;

namespace LearnedOpt.MetaTraining;

/// <summary>
/// Checkpoints of a meta-training run in DIR/checkpoints: <c>ckpt-NNNNNNNN.safetensors</c> (every
/// piece of loop state as named tensors, metadata with the iteration and config) and beside it
/// <c>….safetensors.sha256</c> (SHA-256 of the file's bytes). Both are written atomically
/// (temporary file, flush to disk, rename), the checksum last, so a checkpoint without a matching
/// checksum was interrupted or damaged: loading rejects it with the reason and falls back to the
/// previous one. The newest <c>keep</c> checkpoints are kept.
/// </summary>
public sealed class CheckpointStore
{
    public const string Format = "learnedopt-metatrain-checkpoint";
    public const string Version = "1";
    private const string Prefix = "ckpt-", Suffix = ".safetensors", HashSuffix = ".sha256";

    public CheckpointStore(string directory, int keep)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        Directory = directory;
        Keep = keep;
    }

    public string Directory { get; }
    public int Keep { get; }

    public sealed record Loaded(long Iteration, StateBag State, IReadOnlyDictionary<string, string> Metadata, string Path);

    public string PathFor(long iteration) => System.IO.Path.Combine(Directory, $"{Prefix}{iteration.ToString("D8", CultureInfo.InvariantCulture)}{Suffix}");

    public string Save(long iteration, StateBag state, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(state);
        var meta = new Dictionary<string, string>(metadata)
        {
            ["format"] = Format,
            ["version"] = Version,
            ["iteration"] = iteration.ToString(CultureInfo.InvariantCulture),
        };
        var bytes = SafeTensorsFile.Serialize(state.Tensors, meta);
        var path = PathFor(iteration);
        AtomicWrite(path, bytes);
        AtomicWrite(path + HashSuffix, System.Text.Encoding.ASCII.GetBytes($"{Convert.ToHexStringLower(SHA256.HashData(bytes))}  {System.IO.Path.GetFileName(path)}\n"));
        Prune();
        return path;
    }

    /// <summary>Iterations of the checkpoint files present, newest first (whether valid or not).</summary>
    public IReadOnlyList<long> Iterations()
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        return System.IO.Directory.GetFiles(Directory, $"{Prefix}*{Suffix}")
            .Select(p => System.IO.Path.GetFileName(p))
            .Select(n => long.TryParse(n.AsSpan(Prefix.Length, n.Length - Prefix.Length - Suffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var it) ? it : -1)
            .Where(it => it >= 0).OrderDescending().ToList();
    }

    /// <summary>The newest checkpoint that verifies; every rejected newer one is reported through <paramref name="rejected"/>.</summary>
    public Loaded? LoadLatest(Action<string>? rejected = null)
    {
        foreach (var it in Iterations())
        {
            var path = PathFor(it);
            try
            {
                return Load(path);
            }
            catch (InvalidDataException e)
            {
                rejected?.Invoke(e.Message);
            }
        }
        return null;
    }

    /// <summary>Reads and verifies one checkpoint; InvalidDataException with the reason otherwise.</summary>
    public static Loaded Load(string path)
    {
        var hashPath = path + HashSuffix;
        if (!File.Exists(hashPath))
            throw new InvalidDataException($"checkpoint {path} rejected: its checksum file {System.IO.Path.GetFileName(hashPath)} is missing (the write was interrupted).");
        var bytes = File.ReadAllBytes(path);
        var expected = File.ReadAllText(hashPath).Split(' ', 2)[0].Trim();
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(expected, actual, StringComparison.Ordinal))
            throw new InvalidDataException($"checkpoint {path} rejected: SHA-256 {actual} does not match {expected} in {System.IO.Path.GetFileName(hashPath)} (truncated or corrupt).");
        SafeTensorsFile.Document doc;
        try
        {
            doc = SafeTensorsFile.Parse(bytes, path);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw new InvalidDataException($"checkpoint {path} rejected: {e.Message}");
        }
        if (!doc.Metadata.TryGetValue("format", out var f) || f != Format)
            throw new InvalidDataException($"checkpoint {path} rejected: metadata format is '{f}', expected '{Format}'.");
        if (!doc.Metadata.TryGetValue("version", out var v) || v != Version)
            throw new InvalidDataException($"checkpoint {path} rejected: version '{v}', this build reads version {Version}.");
        if (!doc.Metadata.TryGetValue("iteration", out var itText) || !long.TryParse(itText, NumberStyles.None, CultureInfo.InvariantCulture, out var it))
            throw new InvalidDataException($"checkpoint {path} rejected: metadata has no valid iteration.");
        return new Loaded(it, StateBag.From(doc, path), doc.Metadata, path);
    }

    private void Prune()
    {
        foreach (var it in Iterations().Skip(Keep))
        {
            var p = PathFor(it);
            File.Delete(p + HashSuffix);
            File.Delete(p);
        }
    }

    /// <summary>Temporary file in the same directory, flushed to disk, then renamed over the target.</summary>
    public static void AtomicWrite(string path, ReadOnlySpan<byte> bytes) => LearnedOpt.IO.AtomicFile.Write(path, bytes);
}
