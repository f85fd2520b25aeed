using System.Diagnostics.CodeAnalysis;

namespace LearnedOpt.Tasks;

/// <summary>
/// Every task entry of the engine: collected once from all <see cref="ITaskProvider"/>
/// implementations in this assembly (reflection), so a family registers by adding a provider.
/// Names are unique; a lookup miss names the closest known names.
/// </summary>
public static class TaskRegistry
{
    private static readonly Lazy<IReadOnlyList<TaskEntry>> AllEntries = new(Collect);

    /// <summary>All entries, sorted by name.</summary>
    public static IReadOnlyList<TaskEntry> All => AllEntries.Value;

    public static TaskEntry? Find(string name) => All.FirstOrDefault(e => e.Name == name);

    /// <summary>The entry called <paramref name="name"/>, or an ArgumentException listing near names.</summary>
    public static TaskEntry Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var entry = Find(name);
        if (entry != null) return entry;
        var near = NearNames(name, 5);
        var hint = near.Count > 0 ? $" Did you mean: {string.Join(", ", near)}?" : "";
        throw new ArgumentException($"Unknown task '{name}'.{hint} ('lopt tasks' lists all {All.Count}.)", nameof(name));
    }

    /// <summary>Known names closest to <paramref name="name"/> (substring matches first, then edit distance).</summary>
    public static IReadOnlyList<string> NearNames(string name, int count)
    {
        var lower = name.ToLowerInvariant();
        return All.Select(e => e.Name)
            .Select(n => (Name: n, Score: n.Contains(lower, StringComparison.Ordinal) || lower.Contains(n, StringComparison.Ordinal) ? -1 : Distance(lower, n)))
            .Where(t => t.Score <= Math.Max(3, lower.Length / 3))
            .OrderBy(t => t.Score).ThenBy(t => t.Name.Length).ThenBy(t => t.Name, StringComparer.Ordinal)
            .Take(count).Select(t => t.Name).ToList();
    }

    // Discovery by reflection is the registration mechanism; the engine is not trimmed.
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Task providers are discovered by reflection; the assembly is not trimmed.")]
    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "Task providers are public types with parameterless constructors in this assembly.")]
    private static IReadOnlyList<TaskEntry> Collect()
    {
        var providers = typeof(TaskRegistry).Assembly.GetTypes()
            .Where(t => typeof(ITaskProvider).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (ITaskProvider)Activator.CreateInstance(t)!);
        var entries = providers.SelectMany(p => p.Entries).ToList();
        var dup = entries.GroupBy(e => e.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new InvalidOperationException($"Task name '{dup.Key}' is registered {dup.Count()} times.");
        return entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
    }

    private static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
