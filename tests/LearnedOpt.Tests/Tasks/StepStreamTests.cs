using LearnedOpt.Data;
using LearnedOpt.Randomness;

namespace LearnedOpt.Tests.Tasks;

/// <summary>Per-step random streams keep the episode's seed, so minibatches still partition each epoch.</summary>
[Trait("tier", "cpu")]
public class StepStreamTests
{
    [Fact]
    public void StreamsKeepTheSeedAndDrawIndependently()
    {
        var episode = new Rng(77);
        Assert.Equal(77UL, episode.Stream(3).Seed);
        Assert.Equal(episode.Stream(3).NextUInt64(), episode.Stream(3).NextUInt64());
        Assert.NotEqual(episode.Stream(3).NextUInt64(), episode.Stream(4).NextUInt64());
        Assert.NotEqual(new Rng(77).NextUInt64(), episode.Stream(0).NextUInt64());
    }

    [Fact]
    public void StepsOfOneEpochReadDisjointBatchesThroughStepStreams()
    {
        var schedule = new EpochBatchSchedule(rowCount: 100, batchSize: 10, stream: "batches");
        var episode = new Rng(5);
        var seen = new HashSet<int>();
        var rows = new int[schedule.BatchSize];
        for (long step = 0; step < schedule.BatchesPerEpoch; step++)
        {
            schedule.Fill(episode.Stream(step), step, rows);
            foreach (var row in rows)
                Assert.True(seen.Add(row), $"row {row} read twice in one epoch (step {step})");
        }
        Assert.Equal(100, seen.Count);
    }
}
