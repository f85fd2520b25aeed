using System.Reflection;
using System.Text;

namespace LearnedOpt.Cuda;

/// <summary>
/// The kernel sources embedded in this assembly: <c>kernels/&lt;file&gt;.cu</c> and the headers they
/// include, <c>include/lopt/&lt;file&gt;.h</c>. NVRTC gets each header under two names,
/// "lopt/&lt;file&gt;.h" and "&lt;file&gt;.h", so both include spellings resolve.
/// </summary>
public static class KernelSources
{
    private const string KernelPrefix = "kernels/";
    private const string HeaderPrefix = "include/lopt/";
    private static readonly Assembly Owner = typeof(KernelSources).Assembly;
    private static readonly Lazy<IReadOnlyList<KernelHeader>> LazyHeaders = new(LoadHeaders);

    /// <summary>One in-memory header: the name an #include uses and its text.</summary>
    public sealed record KernelHeader(string IncludeName, string Text);

    /// <summary>The embedded kernel files by name, e.g. "optim.cu", sorted.</summary>
    public static IReadOnlyList<string> KernelFiles =>
        Owner.GetManifestResourceNames()
            .Where(n => n.StartsWith(KernelPrefix, StringComparison.Ordinal) && n.EndsWith(".cu", StringComparison.Ordinal))
            .Select(n => n[KernelPrefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>The text of kernel file <paramref name="file"/> (e.g. "optim.cu").</summary>
    public static string Source(string file)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(file);
        return Read(KernelPrefix + file)
            ?? throw new ArgumentException($"No embedded kernel file '{file}'; available: {string.Join(", ", KernelFiles)}.", nameof(file));
    }

    /// <summary>Every header under both include names, sorted by name (a stable cache key).</summary>
    public static IReadOnlyList<KernelHeader> Headers => LazyHeaders.Value;

    private static IReadOnlyList<KernelHeader> LoadHeaders()
    {
        var list = new List<KernelHeader>();
        foreach (var resource in Owner.GetManifestResourceNames().Where(n => n.StartsWith(HeaderPrefix, StringComparison.Ordinal)))
        {
            var file = resource[HeaderPrefix.Length..];
            var text = Read(resource)!;
            list.Add(new KernelHeader("lopt/" + file, text));
            list.Add(new KernelHeader(file, text));
        }
        return list.OrderBy(h => h.IncludeName, StringComparer.Ordinal).ToList();
    }

    private static string? Read(string resource)
    {
        using var s = Owner.GetManifestResourceStream(resource);
        if (s == null) return null;
        using var r = new StreamReader(s, Encoding.UTF8);
        return r.ReadToEnd();
    }
}
