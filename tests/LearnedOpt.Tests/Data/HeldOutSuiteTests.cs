using LearnedOpt.Tasks;

namespace LearnedOpt.Tests.Data;

[Trait("tier", "cpu")]
public class HeldOutSuiteTests
{
    [Fact]
    public void RealDataMembersAreProvidedAndMarkedHeldOut()
    {
        var provided = new RealDataTaskProvider().Entries.Concat(new HrnnTestProblemProvider().Entries).ToDictionary(e => e.Name);
        Assert.All(provided.Values, e => Assert.True(e.HeldOut, e.Name));
        // Every task this provider defines is in the suite, and the suite names are unique.
        Assert.All(provided.Keys, n => Assert.True(HeldOutSuite.Contains(n), n));
        Assert.Equal(HeldOutSuite.TaskNames.Count(), HeldOutSuite.TaskNames.Distinct().Count());
    }

    [Fact]
    public void EverySuiteNameIsARegisteredTask()
    {
        var names = TaskRegistry.All.Select(e => e.Name).ToHashSet();
        Assert.All(HeldOutSuite.TaskNames, n => Assert.Contains(n, names));
    }

    [Fact]
    public void NoHeldOutTaskIsInTheMetaTrainingEnsemble()
    {
        // Decision 8: the real-data tasks and the L2O-DM quadratic are never meta-trained on.
        foreach (var variant in new[] { "default", "reference-101" })
        {
            var ensemble = LearnedOpt.Tasks.Synthetic.SyntheticCatalog.Variant(variant).Select(e => e.Name).ToHashSet();
            Assert.All(TaskRegistry.All.Where(e => e.HeldOut), e => Assert.DoesNotContain(e.Name, ensemble));
        }
    }

    [Fact]
    public void HrnnTestQuadraticsAreTheReferenceProblems()
    {
        var clean = TaskRegistry.Get(HrnnTestProblemProvider.Quadratic20).Build(1234);
        var noisy = TaskRegistry.Get(HrnnTestProblemProvider.Quadratic20Noisy).Build(1234);
        var x = clean.SampleInitialPoint(new LearnedOpt.Randomness.Rng(5678));
        // Same W, y for the same seed; noise touches only the training gradient, not the loss.
        Assert.Equal(clean.Loss(x, null), noisy.Loss(x, null));
        var g = new[] { new double[20] };
        var gExact = new[] { new double[20] };
        clean.Loss(x, gExact);
        noisy.TrainingLoss(x, g, new LearnedOpt.Randomness.Rng(1), 0);
        double diff = Math.Sqrt(g[0].Zip(gExact[0], (a, b) => (a - b) * (a - b)).Sum() / 20);
        Assert.InRange(diff, 0.5, 1.5); // σ = 1 per coordinate
        clean.TrainingLoss(x, g, new LearnedOpt.Randomness.Rng(1), 0);
        Assert.Equal(gExact[0], g[0]);
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
