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
