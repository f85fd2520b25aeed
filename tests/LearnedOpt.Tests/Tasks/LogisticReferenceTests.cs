using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// Logistic regression has no closed-form minimum: a float64 Newton solve with the dense
/// Hessian assembled from Hessian-vector products must converge quadratically to a stationary
/// point that every sampled initial point lies above (the loss is strictly convex).
/// </summary>
[Trait("tier", "cpu")]
public class LogisticReferenceTests
{
    [Theory]
    [InlineData("logistic-10")]
    [InlineData("logistic-100")]
    public void NewtonWithExactHvpsReachesTheMinimum(string name)
    {
        var task = SyntheticCatalog.All.Single(e => e.Name == name).Build(0);
        int n = task.Size;
        var x = new double[n];
        var g = new double[n];
        var h = new double[n * n];
        var e = new double[n];
        var col = new double[n];
        double gnorm = double.PositiveInfinity;
        for (int it = 0; it < 30 && gnorm > 1e-12; it++)
        {
            task.Value(x, g);
            for (int j = 0; j < n; j++)
            {
                Array.Clear(e);
                e[j] = 1;
                task.Hvp(x, e, col);
                for (int i = 0; i < n; i++) h[i * n + j] = col[i];
            }
            var step = DenseSolve.Solve(h, g, n);
            for (int i = 0; i < n; i++) x[i] -= step[i];
            task.Value(x, g);
            gnorm = g.Max(Math.Abs);
        }
        Assert.True(gnorm <= 1e-10, $"{name}: Newton stalled at |g| = {gnorm}");
        double fStar = task.Value(x, Span<double>.Empty);
        var rng = new LearnedOpt.Randomness.Rng(3);
        for (int d = 0; d < 20; d++)
        {
            var x0 = new double[n];
            task.SampleInitial(rng, x0);
            Assert.True(task.Value(x0, Span<double>.Empty) > fStar);
        }
        Assert.InRange(fStar, 0, Math.Log(2));
    }
}
