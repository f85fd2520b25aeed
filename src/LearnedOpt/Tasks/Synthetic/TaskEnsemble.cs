using LearnedOpt.Randomness;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// The meta-training problem sampler: each draw picks an entry uniformly from the variant's
/// flat list (so a family's probability is its entry count / list length, as in the reference)
/// and builds it from a fresh instance seed. Same Rng state → same entry and same instance.
/// </summary>
public sealed class TaskEnsemble
{
    public TaskEnsemble(string variant = SyntheticCatalog.DefaultVariant)
    {
        Variant = variant;
        Entries = SyntheticCatalog.Variant(variant);
    }

    public string Variant { get; }
    public IReadOnlyList<SyntheticEntry> Entries { get; }

    /// <summary>One draw: the entry and its instance seed, both from <paramref name="rng"/>.</summary>
    public (SyntheticEntry Entry, ulong Seed) Draw(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var entry = Entries[rng.NextInt(Entries.Count)];
        return (entry, rng.NextUInt64());
    }

    /// <summary>One built problem instance.</summary>
    public FlatTask Sample(Rng rng)
    {
        var (entry, seed) = Draw(rng);
        return entry.Build(seed);
    }
}
