using LearnedOpt.Backends;
using LearnedOpt.MetaTraining;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Tests.MetaTraining;

/// <summary>The initWeights key: meta-training starts φ from a weight file instead of the initSeed weights.</summary>
[Trait("tier", "cpu")]
public class WarmStartTests
{
    [Fact]
    public void InitWeightsFileGivesTheSamePhiAsTheInitSeedThatMadeIt()
    {
        using var dir = new TempDir();
        using var backend = new CpuBackend();
        var file = dir.File("w7.safetensors");
        HrnnWeightInit.Create(7, 20, 20).Save(file);

        var fromSeed = new MetaTrainer(SmallConfigs.Tiny(0) with { InitSeed = 7 }, dir.File("a"), backend);
        var fromFile = new MetaTrainer(SmallConfigs.Tiny(0) with { InitWeights = file }, dir.File("b"), backend);
        var defaultInit = new MetaTrainer(SmallConfigs.Tiny(0), dir.File("c"), backend);

        Assert.Equal(fromSeed.Phi, fromFile.Phi);
        Assert.NotEqual(defaultInit.Phi, fromFile.Phi);
    }

    [Fact]
    public void WarmStartedRunBeginsWhereTheEarlierRunEnded()
    {
        using var dir = new TempDir();
        using var backend = new CpuBackend();
        var first = new MetaTrainer(SmallConfigs.Tiny(5), dir.File("first"), backend);
        first.Run(TestContext.Current.CancellationToken);

        var cfg = SmallConfigs.Tiny(0) with { InitWeights = Path.Combine(dir.File("first"), MetaTrainer.FinalWeightsFile) };
        var second = new MetaTrainer(cfg, dir.File("second"), backend);
        Assert.Equal(first.Phi, second.Phi);
        // Validation at iteration 0 scores the loaded weights, so they are the best a 0-iteration run has.
        second.Run(TestContext.Current.CancellationToken);
        var best = HrnnWeights.Load(Path.Combine(dir.File("second"), MetaTrainer.BestWeightsFile));
        Assert.Equal(first.Phi, second.Vector.Flatten(best));
    }

    [Fact]
    public void MissingFileIsRejectedWithKeyAndPath()
    {
        using var dir = new TempDir();
        using var backend = new CpuBackend();
        var path = dir.File("nope.safetensors");
        var e = Assert.Throws<ArgumentException>(() => new MetaTrainer(SmallConfigs.Tiny(0) with { InitWeights = path }, dir.File("o"), backend));
        Assert.Contains("initWeights", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void SizeMismatchIsRejected()
    {
        using var dir = new TempDir();
        using var backend = new CpuBackend();
        var file = dir.File("small.safetensors");
        HrnnWeightInit.Create(0, 8, 8).Save(file);
        var e = Assert.Throws<ArgumentException>(() => new MetaTrainer(SmallConfigs.Tiny(0) with { InitWeights = file }, dir.File("o"), backend));
        Assert.Contains("initWeights", e.Message);
        Assert.Contains("8/8", e.Message);
    }

    [Fact]
    public void ConfigKeyRoundTripsAndRejectsAnEmptyPath()
    {
        var c = MetaTrainingConfig.FromJson("{ \"initWeights\": \"weights/x.safetensors\" }", "test");
        Assert.Equal("weights/x.safetensors", c.InitWeights);
        Assert.Equal(c, MetaTrainingConfig.FromJson(c.ToJson(), "test"));
        Assert.Null(MetaTrainingConfig.Default.InitWeights);
        var e = Assert.Throws<ArgumentException>(() => MetaTrainingConfig.FromJson("{ \"initWeights\": \" \" }", "c.json"));
        Assert.Contains("initWeights", e.Message);
    }
}
