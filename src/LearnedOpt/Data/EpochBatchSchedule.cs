using LearnedOpt.Randomness;

namespace LearnedOpt.Data;

/// <summary>
/// HRNN batching (docs/tasks.md decision 7): shuffle the rows, read disjoint batches; when the next batch
/// would run past the end, reshuffle and restart, so an epoch is floor(rows / batch) steps.
/// Epoch e's permutation comes from rng.Fork(<paramref name="stream"/>).Fork(e), which depends on
/// the generator's seed only. The one schedule of the real-data MLPs ("epoch") and the synthetic
/// classifiers ("batches", their key from before the two schedules were merged, so their batches
/// stay what they were).
/// </summary>
public sealed class EpochBatchSchedule(int rowCount, int batchSize, string stream = "epoch") : BatchSchedule(rowCount, batchSize)
{
    // Field initializers run before the base constructor's checks, so guard batchSize here too.
    private readonly int _batchesPerEpoch = rowCount >= batchSize && batchSize >= 1
        ? rowCount / batchSize
        : throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"A split of {rowCount} rows cannot fill a batch of {batchSize} (the batch size must be >= 1 and at most the row count).");

    private readonly string _stream = !string.IsNullOrEmpty(stream) ? stream : throw new ArgumentException("The stream key must not be empty.", nameof(stream));

    private readonly object _gate = new();
    private (ulong Seed, long Epoch) _cachedKey = (0, -1);
    private int[]? _permutation;

    public int BatchesPerEpoch => _batchesPerEpoch;

    public override void Fill(Rng rng, long step, Span<int> rows)
    {
        CheckArguments(rng, step, rows);
        long epoch = step / BatchesPerEpoch;
        int offset = (int)(step % BatchesPerEpoch) * BatchSize;
        lock (_gate)
        {
            if (_permutation == null || _cachedKey != (rng.Seed, epoch))
            {
                _permutation ??= new int[RowCount];
                for (int i = 0; i < RowCount; i++) _permutation[i] = i;
                rng.Fork(_stream).Fork(epoch).Shuffle(_permutation.AsSpan());
                _cachedKey = (rng.Seed, epoch);
            }
            _permutation.AsSpan(offset, BatchSize).CopyTo(rows);
        }
    }
}
