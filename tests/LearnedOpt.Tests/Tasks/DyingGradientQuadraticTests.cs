using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

[Trait("tier", "cpu")]
public class DyingGradientQuadraticTests
{
    private static DyingGradientQuadraticTask Small(double revive = 0)
        => new("t", 3, 1, [1, 2, 4, 0.5], [DyingGradientQuadraticTask.Never, 5, DyingGradientQuadraticTask.Never, 0], revive);

    [Fact]
    public void LossIsHalfTheCurvatureWeightedSquareOverEveryCoordinate()
    {
        var t = Small();
        var g = new double[4];
        double f = t.Value([1, -1, 0.5, 2], g);
        Assert.Equal(0.5 * (1 + 2 + 4 * 0.25 + 0.5 * 4), f, 14);
        Assert.Equal([1, -2, 2, 1], g);
        Assert.Equal(["x", "y"], t.Parameters.Select(p => p.Name));
    }

    [Fact]
    public void GradientAndHessianMatchFiniteDifferences()
    {
        var t = DyingGradientQuadraticTask.Sample(20, 7);
        var rng = new Rng(3);
        var x = new double[t.Size];
        t.SampleInitial(rng, x);
        FiniteDifference.CheckGradient(t, x, rng);
        FiniteDifference.CheckHvp(t, x, rng);
    }

    [Fact]
    public void DeadCoordinatesGetNoGradientButLiveOnesGetNoisyGradients()
    {
        var t = Small();
        double[] x = [1, -1, 0.5, 2];
        var g = new double[4];
        var rng = new Rng(11).Stream(3);
        var replay = new Rng(11).Stream(3);
        t.TrainingValue(x, g, rng, 3);
        // Step 3: coordinate 3 is dead (since step 0), 1 is live until step 5.
        double[] exact = [1, -2, 2, 1];
        for (int i = 0; i < 4; i++)
        {
            double xi = replay.NextGaussian();
            double expected = i == 3 ? 0 : exact[i] + 0.3 * Math.Sqrt(t.Curvatures[i]) * xi;
            Assert.Equal(expected, g[i], 14);
        }
        t.TrainingValue(x, g, new Rng(11).Stream(5), 5);
        Assert.Equal(0, g[1]);
        Assert.Equal(0, g[3]);
        Assert.NotEqual(0, g[0]);
        var hv = new double[4];
        t.TrainingHvp(x, [1, 1, 1, 1], hv, new Rng(11).Stream(5), 5);
        Assert.Equal([1, 0, 4, 0], hv);
    }

    [Fact]
    public void IntermittentInstancesReviveDeadCoordinatesOneStepInTen()
    {
        var t = Small(revive: 0.1);
        var g = new double[4];
        var hv = new double[4];
        int live = 0, steps = 4000;
        for (int s = 10; s < 10 + steps; s++)
        {
            var r = new Rng(5).Stream(s);
            t.TrainingHvp([1, 1, 1, 1], [1, 1, 1, 1], hv, r, s);
            t.TrainingValue([1, 1, 1, 1], g, r, s);
            if (g[3] != 0) live++;
            Assert.Equal(g[3] != 0, hv[3] != 0); // the Hessian replays the same mask
        }
        Assert.InRange(live / (double)steps, 0.085, 0.115);
    }

    [Fact]
    public void FamilyDrawsFollowTheRecipeAndAreDeterministic()
    {
        int intermittent = 0;
        for (ulong seed = 0; seed < 40; seed++)
        {
            var t = DyingGradientQuadraticTask.Sample(50, seed);
            var again = DyingGradientQuadraticTask.Sample(50, seed);
            Assert.Equal(t.Curvatures, again.Curvatures);
            Assert.Equal(t.DeathSteps, again.DeathSteps);
            Assert.Equal(60, t.Size);
            Assert.All(t.Curvatures, c => Assert.InRange(c, 0.1, 10));
            var dying = t.DeathSteps.Where(s => s != DyingGradientQuadraticTask.Never).ToArray();
            Assert.Equal(12, dying.Length);
            Assert.All(dying, s => Assert.InRange(s, 0, 300));
            if (t.ReviveProbability > 0) intermittent++;
        }
        Assert.InRange(intermittent, 10, 30);
        Assert.NotEqual(DyingGradientQuadraticTask.Sample(50, 1).Curvatures, DyingGradientQuadraticTask.Sample(50, 2).Curvatures);
        // Log-uniform: about half of the curvatures lie below 1 (the geometric midpoint of [0.1, 10]).
        var all = Enumerable.Range(0, 20).SelectMany(s => DyingGradientQuadraticTask.Sample(100, (ulong)s).Curvatures).ToArray();
        Assert.InRange(all.Count(c => c < 1) / (double)all.Length, 0.45, 0.55);
    }

    [Fact]
    public void ProbeLosesTenPercentOfItsCoordinatesAtStepFifty()
    {
        var p = DyingGradientQuadraticTask.Probe(3);
        Assert.Equal(200, p.Size);
        Assert.Equal(20, p.DeathSteps.Count(s => s == 50));
        Assert.Equal(180, p.DeathSteps.Count(s => s == DyingGradientQuadraticTask.Never));
        Assert.Equal(0, p.ReviveProbability);
    }

    [Fact]
    public void BadArgumentsNameTheValue()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DyingGradientQuadraticTask("t", 1, 0, [-1], [0], 0));
        Assert.Contains("-1", e.Message);
        Assert.Throws<ArgumentException>(() => new DyingGradientQuadraticTask("t", 2, 0, [1], [0, 0], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DyingGradientQuadraticTask("t", 1, 0, [1], [0], 1.5));
    }
}
