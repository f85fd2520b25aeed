using System.Text.Json;
using LearnedOpt.IO;
using LearnedOpt.MetaTraining;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tests.Cli;

namespace LearnedOpt.Tests.MetaTraining;

[Collection(CliCollection.Name)]
[Trait("tier", "cpu")]
public class MetaTrainCliTests
{
    [Fact]
    public void MetaTrainWritesConfigMetricsPlotAndLoadableWeights()
    {
        using var dir = new TempDir();
        var cfg = dir.File("c.json");
        File.WriteAllText(cfg, SmallConfigs.Tiny(6).ToJson());
        var outDir = dir.File("run");
        var (exit, stdout, err) = CliRunner.Run("meta-train", "--config", cfg, "--out", outDir, "--estimator", "es", "--seed", "9");
        Assert.True(exit == 0, err);
        Assert.Contains("iter 6/6", stdout);
        var written = MetaTrainingConfig.Load(Path.Combine(outDir, MetaTrainer.ConfigFile));
        Assert.Equal(SmallConfigs.Tiny(6) with { Estimator = "es", Seed = 9 }, written);
        Assert.Equal(7, MetaTrainer.ReadMetrics(Path.Combine(outDir, MetaTrainer.MetricsFile)).Count);
        Assert.True(new FileInfo(Path.Combine(outDir, "meta-loss.png")).Length > 1000);
        var w = HrnnWeights.Load(Path.Combine(outDir, MetaTrainer.FinalWeightsFile));
        Assert.Equal(8349, w.Count);
        Assert.Equal("6", SafeTensorsFile.Read(Path.Combine(outDir, MetaTrainer.FinalWeightsFile)).Metadata["meta_iteration"]);

        // A second start into the same directory must not silently overwrite it.
        var again = CliRunner.Run("meta-train", "--config", cfg, "--out", outDir);
        Assert.Equal(2, again.Exit);
        Assert.Contains("--resume", again.Err);
    }

    [Fact]
    public void ResumeNeedsAnExistingRunAndNoOverrides()
    {
        using var dir = new TempDir();
        var (exit, _, err) = CliRunner.Run("meta-train", "--resume", "--out", dir.File("none"));
        Assert.Equal(2, exit);
        Assert.Contains("config.json", err);
        var both = CliRunner.Run("meta-train", "--resume", "--seed", "3", "--out", dir.Path);
        Assert.Equal(2, both.Exit);
        Assert.Contains("--seed", both.Err);
    }

    [Fact]
    public void TbpttRunsThroughTheMetagradUnroll()
    {
        using var dir = new TempDir();
        var cfg = dir.File("c.json");
        File.WriteAllText(cfg, (SmallConfigs.Tiny(2) with { ValidationProblems = 1 }).ToJson());
        var (exit, stdout, err) = CliRunner.Run("meta-train", "--config", cfg, "--estimator", "tbptt", "--out", dir.File("r"));
        Assert.True(exit == 0, err);
        Assert.Contains("estimator tbptt", stdout);
        Assert.All(MetaTrainer.ReadMetrics(Path.Combine(dir.File("r"), MetaTrainer.MetricsFile)).Skip(1), r => Assert.True(double.IsFinite(r.MetaLoss)));
    }

    [Fact]
    public void EvalPrintsJsonForTheL2oQuadraticAndRejectsUnknownTasks()
    {
        using var dir = new TempDir();
        var weights = dir.File("w.safetensors");
        HrnnWeightInit.Create(1).Save(weights);
        var (exit, stdout, err) = CliRunner.Run("eval", "--weights", weights, "--tasks", "l2o-quadratic", "--seeds", "2", "--tuning-seeds", "1", "--steps", "10", "--json", "--out", dir.File("ev"));
        Assert.True(exit == 0, err);
        using var doc = JsonDocument.Parse(stdout);
        var task = Assert.Single(doc.RootElement.GetProperty("tasks").EnumerateArray());
        Assert.Equal("l2o-quadratic", task.GetProperty("task").GetString());
        var names = task.GetProperty("optimizers").EnumerateArray().Select(o => o.GetProperty("optimizer").GetString()!).ToArray();
        Assert.Equal(["hrnn", "adam", "rmsprop", "sgd-momentum"], names);
        Assert.All(task.GetProperty("optimizers").EnumerateArray(), o => Assert.Equal(11, o.GetProperty("curveLog10").GetArrayLength()));
        Assert.True(File.Exists(Path.Combine(dir.File("ev"), "curves-l2o-quadratic.png")));
        Assert.True(File.Exists(Path.Combine(dir.File("ev"), "results.md")));

        var bad = CliRunner.Run("eval", "--weights", weights, "--tasks", "nope");
        Assert.Equal(2, bad.Exit);
        Assert.Contains("'nope'", bad.Err);
        var seeds = CliRunner.Run("eval", "--weights", weights, "--seeds", "0");
        Assert.Equal(2, seeds.Exit);
        Assert.Contains("--seeds 0", seeds.Err);
    }
}
