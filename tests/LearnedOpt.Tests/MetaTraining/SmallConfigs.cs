using LearnedOpt.MetaTraining;

namespace LearnedOpt.Tests.MetaTraining;

/// <summary>Meta-training configs small enough for tests (seconds on two cores).</summary>
public static class SmallConfigs
{
    public static MetaTrainingConfig Tiny(int iterations) => new()
    {
        Slots = 4,
        MetaIterations = iterations,
        MaxParameters = 20,
        EpisodeMinSteps = 20, EpisodeMeanExtraSteps = 10, EpisodeMaxSteps = 40,
        TruncationMinSteps = 5, TruncationMeanExtraSteps = 5, TruncationMaxSteps = 10,
        ValidationProblems = 4, ValidationSteps = 30, ValidateEvery = 10,
        CheckpointEvery = 5, KeepCheckpoints = 3,
        Threads = 2,
    };
}
