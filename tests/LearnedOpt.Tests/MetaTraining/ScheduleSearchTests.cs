using LearnedOpt.Backends;
using LearnedOpt.MetaTraining.Schedules;

namespace LearnedOpt.Tests.MetaTraining;

[Trait("tier", "cpu")]
public class ScheduleSearchTests
{
    private static ScheduleSearchConfig Config(int threads) => new()
    {
        InitWeights = "unused-here",
        Seed = 3,
        InitialLearningRates = [1e-7, 1e-2],
        Decays = [0, 2],
        Horizon = 100,
        Problems = [new() { Task = "quadratic-100-noisy", Seeds = 2, Steps = 100 }, new() { Task = "log-quadratic-20", Seeds = 1, Steps = 100 }],
        Threads = threads,
    };

    [Fact]
    public void TheLearningRateThatTrainsWinsOverOneThatDoesNotMove()
    {
        using var backend = new CpuBackend();
        var points = new ScheduleSearch(Config(2), ParameterGrowthTests.Shipped()).Run(backend);
        Assert.Equal(4, points.Count);
        var best = ScheduleSearch.Best(points);
        Assert.Equal(1e-2, best.InitialLr);
        // 1e-7 barely moves in 100 steps: its score is near the initial loss, far above the best.
        Assert.True(points[0].Score > best.Score + 0.5, $"{points[0].Score} vs {best.Score}");
    }

    [Fact]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        using var backend = new CpuBackend();
        var one = new ScheduleSearch(Config(1), ParameterGrowthTests.Shipped()).Run(backend);
        var two = new ScheduleSearch(Config(2), ParameterGrowthTests.Shipped()).Run(backend);
        Assert.Equal(one.Select(p => p.Score), two.Select(p => p.Score));
    }

    [Fact]
    public void AGridWhereEverythingDivergesIsAnErrorNotAChoice()
    {
        var diverged = new SchedulePoint(1, 0, [[1.0]], Diverged: 1);
        Assert.Throws<InvalidOperationException>(() => ScheduleSearch.Best([diverged]));
        var fine = new SchedulePoint(0.1, 0, [[-1.0]], Diverged: 0);
        Assert.Same(fine, ScheduleSearch.Best([diverged, fine]));
    }

    [Theory]
    [InlineData("""{"initWeights":"w","initialLearningRates":[1e-3],"decays":[1],"problems":[{"task":"l2o-quadratic"}]}""", "problems.task")]
    [InlineData("""{"initWeights":"w","initialLearningRates":[1e-3],"decays":[1],"problems":[{"task":"no-such-task"}]}""", "problems.task")]
    [InlineData("""{"initWeights":"w","initialLearningRates":[-1],"decays":[1],"problems":[{"task":"log-quadratic-20"}]}""", "initialLearningRates")]
    [InlineData("""{"initWeights":"w","initialLearningRates":[1e-3],"decays":[],"problems":[{"task":"log-quadratic-20"}]}""", "decays")]
    [InlineData("""{"initWeights":"","initialLearningRates":[1e-3],"decays":[1],"problems":[{"task":"log-quadratic-20"}]}""", "initWeights")]
    public void BadConfigsNameTheKey(string json, string key)
    {
        var e = Assert.Throws<ArgumentException>(() => ScheduleSearchConfig.FromJson(json, "c.json"));
        Assert.Equal(key, e.ParamName);
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void TheShippedRecipeConfigIsValidAndValidatesOnNoHeldOutTask()
    {
        var c = ScheduleSearchConfig.Load(ParameterGrowthTests.RepoFile("configs/schedule-search-hrnn-networks.json"));
        Assert.NotEmpty(c.Problems);
    }
}
