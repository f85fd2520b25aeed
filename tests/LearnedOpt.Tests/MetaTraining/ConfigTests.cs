using LearnedOpt.MetaTraining;

namespace LearnedOpt.Tests.MetaTraining;

[Trait("tier", "cpu")]
public class ConfigTests
{
    [Fact]
    public void DefaultRoundTripsThroughJson()
    {
        var d = MetaTrainingConfig.Default;
        var back = MetaTrainingConfig.FromJson(d.ToJson(), "test");
        Assert.Equal(d, back);
        Assert.Equal("pes", back.Estimator);
        Assert.Equal("adam", back.MetaOptimizer);
    }

    [Fact]
    public void TheDefaultConfigFileIsTheEmbeddedDefaultAndEveryShippedConfigLoads()
    {
        string root = RepoRoot();
        // The default config is the recipe of the shipped weights/hrnn-default.safetensors.
        Assert.Equal(MetaTrainingConfig.Default, MetaTrainingConfig.Load(Path.Combine(root, "configs", "meta-train-default.json")));
        var files = Directory.GetFiles(Path.Combine(root, "configs"), "*.json");
        Assert.NotEmpty(files);
        // Configs are named by the command that reads them: meta-train-*.json (lopt meta-train) and
        // schedule-search-*.json (lopt schedule-search); every one loads and names weights that exist.
        foreach (var file in files)
        {
            string name = Path.GetFileName(file);
            string? w = name.StartsWith("meta-train-", StringComparison.Ordinal) ? MetaTrainingConfig.Load(file).InitWeights
                : name.StartsWith("schedule-search-", StringComparison.Ordinal) ? LearnedOpt.MetaTraining.Schedules.ScheduleSearchConfig.Load(file).InitWeights
                : throw new InvalidOperationException($"{file}: a config must be named meta-train-*.json or schedule-search-*.json");
            if (w != null) Assert.True(File.Exists(Path.Combine(root, w)), $"{file}: initWeights {w} is not in the repository");
        }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Interop.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Interop.sln above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void MissingKeysKeepTheirDefaults()
    {
        var c = MetaTrainingConfig.FromJson("{ \"slots\": 3 }", "test");
        Assert.Equal(3, c.Slots);
        Assert.Equal(MetaTrainingConfig.Default with { Slots = 3 }, c);
    }

    [Fact]
    public void UnknownKeyIsRejected()
    {
        var e = Assert.Throws<InvalidDataException>(() => MetaTrainingConfig.FromJson("{ \"sigmaa\": 0.1 }", "c.json"));
        Assert.Contains("sigmaa", e.Message);
    }

    [Theory]
    [InlineData("{ \"sigma\": 0 }", "sigma")]
    [InlineData("{ \"estimator\": \"sgd\" }", "estimator")]
    [InlineData("{ \"episodeMinSteps\": 50, \"episodeMaxSteps\": 10 }", "episodeMaxSteps")]
    [InlineData("{ \"keepCheckpoints\": 1 }", "keepCheckpoints")]
    [InlineData("{ \"metaOptimizer\": \"sgd\" }", "metaOptimizer")]
    public void BadValuesNameTheKeyAndValue(string json, string key)
    {
        var e = Assert.Throws<ArgumentException>(() => MetaTrainingConfig.FromJson(json, "c.json"));
        Assert.Contains(key, e.Message);
        Assert.Contains("c.json", e.Message);
    }
}
