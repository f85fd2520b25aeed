using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// One entry of the synthetic ensemble: a stable name, its family and tensors (known without
/// building, so listing never allocates a 2048² matrix), and the builder from an instance seed.
/// <see cref="IsNetwork"/> marks the sigmoid-MLP entries that decision 1 leaves out by default.
/// </summary>
public sealed record SyntheticEntry(string Name, string Family, IReadOnlyList<TensorSpec> Tensors, Func<ulong, FlatTask> Build, bool IsNetwork = false)
{
    public TaskEntry ToTaskEntry() => new(Name, Family, Tensors, false, seed => Build(seed));
}
