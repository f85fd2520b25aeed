using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks;

/// <summary>
/// A named task in the registry: its family, parameter tensors, whether it belongs to the held-out
/// evaluation suite (never meta-trained on), and how to build an instance from a seed.
/// </summary>
public sealed record TaskEntry(string Name, string Family, IReadOnlyList<TensorSpec> Tensors, bool HeldOut, Func<ulong, ITask> Build)
{
    public long ParameterCount => Tensors.Sum(t => t.Length);
}

/// <summary>
/// Contributes entries to the task registry. The registry finds every implementation in the
/// LearnedOpt assembly by reflection, so a family adds itself by adding a provider file.
/// </summary>
public interface ITaskProvider
{
    IEnumerable<TaskEntry> Entries { get; }
}
