using LearnedOpt.Randomness;

namespace LearnedOpt.Data;

/// <summary>L2O-DM batching: every step draws its rows uniformly with replacement.</summary>
public sealed class WithReplacementBatchSchedule(int rowCount, int batchSize) : BatchSchedule(rowCount, batchSize)
{
    public override void Fill(Rng rng, long step, Span<int> rows)
    {
        CheckArguments(rng, step, rows);
        var r = rng.Fork("step").Fork(step);
        for (int i = 0; i < rows.Length; i++) rows[i] = r.NextInt(RowCount);
    }
}
