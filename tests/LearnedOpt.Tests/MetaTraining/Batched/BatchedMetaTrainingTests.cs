using LearnedOpt.Backends;
using LearnedOpt.MetaTraining;
using LearnedOpt.Tests.Cli;

namespace LearnedOpt.Tests.MetaTraining.Batched;

/// <summary>Meta-training with <c>"unroll": "batched"</c> on the CPU library: learning, resume, config, CLI.</summary>
[Collection(CliCollection.Name)]
public class BatchedMetaTrainingTests
{
    private static MetaTrainingConfig Tiny(int iterations, string estimator) => SmallConfigs.Tiny(iterations) with
    {
        Estimator = estimator, Unroll = MetaTrainingConfig.BatchedUnroll, MaxParameters = 64,
    };

    [Trait("tier", "cpu")]
    [Fact]
    public void AShortBatchedPesRunLowersTheValidationMetaObjective()
    {
        using var dir = new TempDir();
        using var backend = new CpuBackend();
        var cfg = SmallConfigs.Tiny(100) with
        {
            Estimator = "pes", Unroll = MetaTrainingConfig.BatchedUnroll, Slots = 16, MaxParameters = 64, ValidationProblems = 12, ValidationSteps = 100,
            ValidateEvery = 100, CheckpointEvery = 100, EpisodeMinSteps = 60, EpisodeMaxSteps = 120, TruncationMinSteps = 10, TruncationMaxSteps = 30,
        };
        var trainer = new MetaTrainer(cfg, dir.Path, backend);
        Assert.Empty(trainer.LeftOutEntries);   // every default entry has a batched problem on the CPU
        trainer.Run(TestContext.Current.CancellationToken);
        var rows = MetaTrainer.ReadMetrics(Path.Combine(dir.Path, MetaTrainer.MetricsFile));
        double before = rows.First(r => r.Iteration == 0).Validation;
        double after = rows.First(r => r.Iteration == 100).Validation;
        MetaTrainingProgressTests.AssertReportedValidation(cfg, backend, before, after, dir.File(MetaTrainer.FinalWeightsFile));
        Assert.True(after < before, $"batched pes: validation {before} → {after}");
    }

    [Trait("tier", "cpu")]
    [Theory]
    [InlineData("pes")]
    [InlineData("es")]
    public void BatchedResumeContinuesBitForBit(string estimator)
    {
        using var dir = new TempDir();
        using var backend = new CpuBackend();
        var cfg = Tiny(10, estimator);
        var full = new MetaTrainer(cfg, dir.Path, backend);
        full.Run(TestContext.Current.CancellationToken);
        var store = new CheckpointStore(Path.Combine(dir.Path, "checkpoints"), 3);
        File.WriteAllBytes(store.PathFor(10), File.ReadAllBytes(store.PathFor(10))[..100]);

        var resumed = new MetaTrainer(cfg, dir.Path, backend);
        Assert.True(resumed.Resume());
        Assert.Equal(5, resumed.Iteration);
        resumed.Run(TestContext.Current.CancellationToken);
        Assert.Equal(full.Phi, resumed.Phi);
        using var fresh = new TempDir();
        Assert.NotEqual(new MetaTrainer(cfg, fresh.Path, backend).Phi, full.Phi);  // and φ did move
    }

    [Trait("tier", "cpu")]
    [Fact]
    public void UnrollKeyIsValidatedAndDefaultsToPerSlot()
    {
        Assert.Equal(MetaTrainingConfig.PerSlotUnroll, MetaTrainingConfig.Default.Unroll);
        var e = Assert.Throws<ArgumentException>(() => (MetaTrainingConfig.Default with { Unroll = "lockstep" }).Validate());
        Assert.Contains("unroll = lockstep", e.Message);
        var t = Assert.Throws<ArgumentException>(() => (MetaTrainingConfig.Default with { Unroll = "batched", Estimator = "tbptt" }).Validate());
        Assert.Contains("tbptt", t.Message);
        var cfg = Tiny(3, "es");
        Assert.Equal(cfg, MetaTrainingConfig.FromJson(cfg.ToJson(), "round trip"));
        Assert.Contains("\"unroll\": \"batched\"", cfg.ToJson());
        // A config written before the key existed still reads (as per-slot): old checkpoints resume.
        var old = MetaTrainingConfig.Default.ToJson().Replace(",\n  \"unroll\": \"per-slot\"", "");
        Assert.DoesNotContain("unroll", old);
        Assert.Equal(MetaTrainingConfig.Default, MetaTrainingConfig.FromJson(old, "old"));
    }

    [Trait("tier", "cpu")]
    [Fact]
    public void CliRunsBatchedOnTheCpuOverTheWholeEnsemble()
    {
        using var dir = new TempDir();
        var cfg = dir.File("c.json");
        File.WriteAllText(cfg, Tiny(3, "pes").ToJson());
        var (exit, stdout, err) = CliRunner.Run("meta-train", "--config", cfg, "--out", dir.File("run"), "--backend", "cpu");
        Assert.True(exit == 0, err);
        Assert.Contains("batched unrolls on Cpu", stdout);
        int entries = new EnsembleSampler(MetaTrainingConfig.Default.Ensemble, 64).Entries.Count;
        Assert.Contains($"from {entries} ensemble entries", stdout);
        Assert.DoesNotContain("left out", stdout);
        Assert.Contains("iter 3/3", stdout);
    }

    [Trait("tier", "gpu")]
    [Fact]
    public void CliRefusesANonCpuBackendForPerSlotUnrolls()
    {
        Assert.SkipUnless(Cuda.CudaTestEnvironment.HasDevice, Cuda.CudaTestEnvironment.Reason);
        using var dir = new TempDir();
        var cfg = dir.File("c.json");
        File.WriteAllText(cfg, SmallConfigs.Tiny(3).ToJson());
        var (exit, _, err) = CliRunner.Run("meta-train", "--config", cfg, "--out", dir.File("run"), "--backend", "cuda");
        Assert.Equal(2, exit);
        Assert.Contains("batched", err);
    }
}
