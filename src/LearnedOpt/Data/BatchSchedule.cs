using LearnedOpt.Randomness;

namespace LearnedOpt.Data;

/// <summary>
/// Which rows form the minibatch of a training step. The batch of step t depends only on the seed
/// of the generator passed in and on t, so runs replay bit for bit and steps may be asked in any order.
/// </summary>
public abstract class BatchSchedule
{
    protected BatchSchedule(int rowCount, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        RowCount = rowCount;
        BatchSize = batchSize;
    }

    public int RowCount { get; }
    public int BatchSize { get; }

    /// <summary>Writes the <see cref="BatchSize"/> row indices of step <paramref name="step"/> (0-based).</summary>
    public abstract void Fill(Rng rng, long step, Span<int> rows);

    protected void CheckArguments(Rng rng, long step, Span<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (rows.Length != BatchSize) throw new ArgumentException($"rows has {rows.Length} slots, the batch size is {BatchSize}.", nameof(rows));
    }
}
