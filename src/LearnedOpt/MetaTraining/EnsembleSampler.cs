using LearnedOpt.Randomness;
using LearnedOpt.Tasks;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.MetaTraining;

/// <summary>
/// The meta-training problems: the ensemble variant's entries with at most
/// <see cref="MaxParameters"/> parameters, drawn uniformly (the "networks" variant: by the group
/// shares of <see cref="NetworksEnsemble.Groups"/>), instance seeds mapped through
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
        _cumulative = CumulativeWeights(variant, Entries);
    }

    private EnsembleSampler(string variant, int maxParameters, IReadOnlyList<SyntheticEntry> entries)
    {
        Variant = variant;
        MaxParameters = maxParameters;
        Entries = entries;
        _cumulative = CumulativeWeights(variant, Entries);
    }

    // Null for the uniform variants, whose draw stays rng.NextInt (the default run's stream).
    private readonly double[]? _cumulative;

    /// <summary>Probability of drawing each entry (uniform except for the networks variant).</summary>
    public IReadOnlyList<double> Probabilities => _cumulative == null
        ? Enumerable.Repeat(1.0 / Entries.Count, Entries.Count).ToArray()
        : _cumulative.Select((c, i) => c - (i == 0 ? 0 : _cumulative[i - 1])).ToArray();

    private static double[]? CumulativeWeights(string variant, IReadOnlyList<SyntheticEntry> entries)
    {
        if (variant != SyntheticCatalog.NetworksVariant) return null;
        var counts = entries.GroupBy(NetworksEnsemble.GroupOf).ToDictionary(g => g.Key, g => g.Count());
        var shares = NetworksEnsemble.Groups.Where(g => counts.ContainsKey(g.Group)).ToDictionary(g => g.Group, g => g.Share);
        double total = shares.Values.Sum();
        var cumulative = new double[entries.Count];
        double sum = 0;
        for (int i = 0; i < entries.Count; i++)
        {
            var group = NetworksEnsemble.GroupOf(entries[i]);
            sum += shares[group] / total / counts[group];
            cumulative[i] = sum;
        }
        cumulative[^1] = 1;
        return cumulative;
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
    public (int Entry, ulong Seed) Draw(Rng rng) => (DrawEntry(rng), HeldOutSuite.TrainingSeed(rng.NextUInt64()));

    private int DrawEntry(Rng rng)
    {
        if (_cumulative == null) return rng.NextInt(Entries.Count);
        double u = rng.NextDouble();
        int i = Array.BinarySearch(_cumulative, u);
        i = i >= 0 ? i + 1 : ~i;
        return Math.Min(i, Entries.Count - 1);
    }

    public FlatTask Build(int entry, ulong seed)
    {
        if (entry < 0 || entry >= Entries.Count)
            throw new InvalidDataException($"Entry index {entry} is outside the {Entries.Count} entries of ensemble '{Variant}' (<= {MaxParameters} parameters).");
        return Entries[entry].Build(seed);
    }
}
