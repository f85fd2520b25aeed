namespace LearnedOpt.Tasks.Synthetic;

/// <summary>Registers every synthetic ensemble entry (none is held out).</summary>
public sealed class SyntheticTaskProvider : ITaskProvider
{
    public IEnumerable<TaskEntry> Entries => SyntheticCatalog.All.Select(e => e.ToTaskEntry());
}
