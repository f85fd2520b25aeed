using LearnedOpt.Randomness;
using LearnedOpt.Tasks;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.MetaTraining;

/// <summary>
/// The meta-training problems: the ensemble variant's entries with at most
/// <see cref="MaxParameters"/> parameters, drawn uniformly, instance seeds mapped through
/// <see cref="HeldOutSuite.TrainingSeed"/> so they can never equal an evaluation seed.
/// </summary>
public sealed class EnsembleSampler
{
    public EnsembleSampler(string variant, int maxParameters)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParameters, 1);
        Entries = SyntheticCatalog.Variant(variant).Where(e => e.Tensors.Sum(t => t.Length) <= maxParameters).ToList();
        if (Entries.Count == 0)
            throw new ArgumentException($"No entry of ensemble '{variant}' has at most {maxParameters} parameters.", nameof(maxParameters));
        Variant = variant;
        MaxParameters = maxParameters;
    }

    private EnsembleSampler(string variant, int maxParameters, IReadOnlyList<SyntheticEntry> entries)
    {
        Variant = variant;
        MaxParameters = maxParameters;
        Entries = entries;
    }

    /// <summary>
    /// The entries <paramref name="keep"/> accepts, as a sampler of their own (e.g. those with a
    /// batched implementation); ArgumentException naming <paramref name="why"/> when none is left.
    /// </summary>
    public EnsembleSampler Where(Func<SyntheticEntry, bool> keep, string why)
    {
        ArgumentNullException.ThrowIfNull(keep);
        var kept = Entries.Where(keep).ToList();
        if (kept.Count == 0)
            throw new ArgumentException($"No entry of ensemble '{Variant}' with at most {MaxParameters} parameters {why}.", nameof(keep));
        return new EnsembleSampler(Variant, MaxParameters, kept);
    }

    public string Variant { get; }
    public int MaxParameters { get; }
    public IReadOnlyList<SyntheticEntry> Entries { get; }

    /// <summary>An entry index and a training instance seed.</summary>
    public (int Entry, ulong Seed) Draw(Rng rng) => (rng.NextInt(Entries.Count), HeldOutSuite.TrainingSeed(rng.NextUInt64()));

    public FlatTask Build(int entry, ulong seed)
    {
        if (entry < 0 || entry >= Entries.Count)
            throw new InvalidDataException($"Entry index {entry} is outside the {Entries.Count} entries of ensemble '{Variant}' (<= {MaxParameters} parameters).");
        return Entries[entry].Build(seed);
    }
}
