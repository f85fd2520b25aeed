using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

/// <summary>Per-step random streams keep the episode's seed, so minibatches still partition each epoch.</summary>
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
        var schedule = new BatchSchedule(rows: 100, batchSize: 10);
        var episode = new Rng(5);
        var seen = new HashSet<int>();
        for (long step = 0; step < schedule.BatchesPerEpoch; step++)
            foreach (var row in schedule.Batch(episode.Stream(step), step))
                Assert.True(seen.Add(row), $"row {row} read twice in one epoch (step {step})");
        Assert.Equal(100, seen.Count);
    }
}
