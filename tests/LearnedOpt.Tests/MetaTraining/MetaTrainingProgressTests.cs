using LearnedOpt.Backends;
using LearnedOpt.MetaTraining;

namespace LearnedOpt.Tests.MetaTraining;

[Trait("tier", "cpu")]
public class MetaTrainingProgressTests
{
    [Theory]
    [InlineData("pes")]
    [InlineData("es")]
    public void AShortRunLowersTheValidationMetaObjective(string estimator)
    {
        using var dir = new TempDir();
        using var backend = new CpuBackend();
        var cfg = SmallConfigs.Tiny(100) with
        {
            Estimator = estimator, Slots = 16, MaxParameters = 64, ValidationProblems = 12, ValidationSteps = 100, ValidateEvery = 100, CheckpointEvery = 100,
            EpisodeMinSteps = 60, EpisodeMaxSteps = 120, TruncationMinSteps = 10, TruncationMaxSteps = 30,
        };
        var trainer = new MetaTrainer(cfg, dir.Path, backend);
        trainer.Run(TestContext.Current.CancellationToken);
        var rows = MetaTrainer.ReadMetrics(Path.Combine(dir.Path, MetaTrainer.MetricsFile));
        double before = rows.First(r => r.Iteration == 0).Validation;
        double after = rows.First(r => r.Iteration == 100).Validation;
        // The initial HRNN barely moves θ (log-ratio ≈ 0); learning larger steps must show up clearly.
        Assert.True(after < before - 0.02, $"{estimator}: validation {before} → {after}");
        Assert.True(File.Exists(Path.Combine(dir.Path, MetaTrainer.BestWeightsFile)));
    }
}
