using LearnedOpt.Randomness;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// The reference's minibatch schedule (problems.md §3): row indices are shuffled and consumed as
/// disjoint batches of size B; when the next batch would run past the end, the indices are
/// reshuffled and reading restarts at 0. Step s of a meta-iteration falls in epoch s / ⌊N/B⌋,
/// whose permutation comes from the meta-iteration's stream (rng.Fork, which depends on the
/// stream's seed only), so the batch of any step is reproducible without replaying the others.
/// </summary>
public sealed class BatchSchedule
{
    private readonly object _gate = new();
    private ulong _cachedSeed;
    private long _cachedEpoch = -1;
    private int[] _permutation = [];

    public BatchSchedule(int rows, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        if (batchSize < 1 || batchSize > rows)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"Batch size must be in [1, {rows}] (the dataset's rows).");
        Rows = rows;
        BatchSize = batchSize;
        BatchesPerEpoch = rows / batchSize;
    }

    public int Rows { get; }
    public int BatchSize { get; }
    public int BatchesPerEpoch { get; }

    /// <summary>Row indices of the batch of <paramref name="step"/>.</summary>
    public int[] Batch(Rng rng, long step)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        long epoch = step / BatchesPerEpoch;
        int position = (int)(step % BatchesPerEpoch);
        lock (_gate)
        {
            if (_cachedEpoch != epoch || _cachedSeed != rng.Seed)
            {
                var perm = new int[Rows];
                for (int i = 0; i < Rows; i++) perm[i] = i;
                rng.Fork("batches").Fork(epoch).Shuffle(perm.AsSpan());
                (_permutation, _cachedEpoch, _cachedSeed) = (perm, epoch, rng.Seed);
            }
            return _permutation.AsSpan(position * BatchSize, BatchSize).ToArray();
        }
    }
}
