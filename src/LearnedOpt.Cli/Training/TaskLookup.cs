using LearnedOpt.Tasks;

namespace LearnedOpt.Cli.Training;

/// <summary>
/// Resolves task names through every <see cref="ITaskProvider"/> in the LearnedOpt assembly (the
/// same discovery the task registry uses), with a one-line error listing the known names.
/// </summary>
public static class TaskLookup
{
    public static IReadOnlyList<TaskEntry> All()
        => typeof(ITaskProvider).Assembly.GetTypes()
            .Where(t => typeof(ITaskProvider).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .SelectMany(t => ((ITaskProvider)Activator.CreateInstance(t)!).Entries)
            .ToArray();

    public static TaskEntry Find(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var all = All();
        return all.FirstOrDefault(e => e.Name == name)
            ?? throw new CliError($"unknown task '{name}'; known tasks: {string.Join(", ", all.Select(e => e.Name).Order(StringComparer.Ordinal))}.");
    }
}
