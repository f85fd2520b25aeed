using LearnedOpt.Data;
using LearnedOpt.Randomness;

namespace LearnedOpt.Tests.Data;

[Trait("tier", "cpu")]
public class BatchScheduleTests
{
    private static int[] Batch(BatchSchedule s, ulong seed, long step)
    {
        var rows = new int[s.BatchSize];
        s.Fill(new Rng(seed), step, rows);
        return rows;
    }

    [Fact]
    public void EpochBatchesAreDisjointAndCoverFloorNOverBBatches()
    {
        var s = new EpochBatchSchedule(103, 10);
        Assert.Equal(10, s.BatchesPerEpoch);
        var epoch0 = Enumerable.Range(0, 10).SelectMany(t => Batch(s, 1, t)).ToArray();
        Assert.Equal(100, epoch0.Distinct().Count());
        Assert.All(epoch0, r => Assert.InRange(r, 0, 102));
        // Step 10 starts a reshuffled epoch: again 100 distinct rows, in another order.
        var epoch1 = Enumerable.Range(10, 10).SelectMany(t => Batch(s, 1, t)).ToArray();
        Assert.Equal(100, epoch1.Distinct().Count());
        Assert.NotEqual(epoch0, epoch1);
    }

    [Fact]
    public void BatchesDependOnlyOnSeedAndStep()
    {
        var s = new EpochBatchSchedule(1000, 32);
        var later = Batch(s, 5, 40);      // epoch 1
        var early = Batch(s, 5, 3);       // back to epoch 0
        Assert.Equal(later, Batch(new EpochBatchSchedule(1000, 32), 5, 40));
        Assert.Equal(early, Batch(s, 5, 3));
        Assert.Equal(later, Batch(s, 5, 40));
        Assert.NotEqual(early, Batch(s, 6, 3));

        // Consuming the generator does not change the schedule: only its seed matters.
        var rng = new Rng(5);
        rng.NextUInt64();
        var rows = new int[32];
        s.Fill(rng, 40, rows);
        Assert.Equal(later, rows);
    }

    [Fact]
    public void WithReplacementBatchesAreUniformAndReproducible()
    {
        var s = new WithReplacementBatchSchedule(10, 128);
        Assert.Equal(Batch(s, 3, 17), Batch(new WithReplacementBatchSchedule(10, 128), 3, 17));
        Assert.NotEqual(Batch(s, 3, 17), Batch(s, 3, 18));
        Assert.NotEqual(Batch(s, 3, 17), Batch(s, 4, 17));
        var counts = new int[10];
        for (int t = 0; t < 1000; t++)
            foreach (var r in Batch(s, 3, t)) counts[r]++;
        // 128000 draws: each count is 12800 ± 107 (1 sd); allow 5 sd.
        Assert.All(counts, c => Assert.InRange(c, 12800 - 535, 12800 + 535));
        // Drawn with replacement: 128 of 1000 rows repeat one with probability 1 − e^−8.2 per batch.
        var wide = new WithReplacementBatchSchedule(1000, 128);
        Assert.True(Enumerable.Range(0, 10).Count(t => Batch(wide, 3, t).Distinct().Count() < 128) >= 9);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EpochBatchSchedule(5, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EpochBatchSchedule(5, 0));
        var s = new EpochBatchSchedule(50, 10);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Fill(new Rng(1), -1, new int[10]));
        var e = Assert.Throws<ArgumentException>(() => s.Fill(new Rng(1), 0, new int[9]));
        Assert.Equal("rows", e.ParamName);
    }
}
