using LearnedOpt.Cli.Training;
using LearnedOpt.Tasks;

namespace LearnedOpt.Tests.Data;

public class HeldOutSuiteTests
{
    [Fact]
    public void RealDataMembersAreProvidedAndMarkedHeldOut()
    {
        var provided = new RealDataTaskProvider().Entries.ToDictionary(e => e.Name);
        Assert.All(provided.Values, e => Assert.True(e.HeldOut, e.Name));
        // Every task this provider defines is in the suite, and the suite names are unique.
        Assert.All(provided.Keys, n => Assert.True(HeldOutSuite.Contains(n), n));
        Assert.Equal(HeldOutSuite.TaskNames.Count(), HeldOutSuite.TaskNames.Distinct().Count());
    }

    [Fact]
    public void EverySuiteNameResolvesOnceTheSyntheticFamiliesArePresent()
    {
        var all = TaskLookup.All();
        Assert.SkipUnless(all.Any(e => e.Family != "mlp-classification" && e.Family != "l2o-quadratic"),
            "only the real-data provider is in this build; the synthetic registry names are checked once it is merged");
        var names = all.Select(e => e.Name).ToHashSet();
        Assert.All(HeldOutSuite.TaskNames, n => Assert.Contains(n, names));
    }

    [Fact]
    public void EvaluationSeedsAreFixedDistinctAndNeverTrainingSeeds()
    {
        var a = HeldOutSuite.Seeds("rosenbrock", 50);
        Assert.Equal(a, HeldOutSuite.Seeds("rosenbrock", 50));
        Assert.Equal(a[..5], HeldOutSuite.Seeds("rosenbrock", 5));
        Assert.Equal(50, a.Distinct().Count());
        Assert.Empty(a.Intersect(HeldOutSuite.Seeds("quadratic-20", 50)));
        Assert.All(a, s => Assert.True(HeldOutSuite.IsHeldOutSeed(s)));
        Assert.All(a, s => Assert.False(HeldOutSuite.IsHeldOutSeed(HeldOutSuite.TrainingSeed(s))));
        Assert.All(new ulong[] { 0, 1, ulong.MaxValue }, s => Assert.False(HeldOutSuite.IsHeldOutSeed(HeldOutSuite.TrainingSeed(s))));
    }
}
