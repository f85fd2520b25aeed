using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// The recipe of docs/tasks.md (tests): float64 central differences with h = 1e-6·max(1, ‖θ‖∞) along ≥ 5 random unit
/// directions and 20 random coordinates, relative tolerance 1e-6 (plus the differencing's own
/// rounding floor, 100·ε·|f|/h). HVPs are checked against central differences of the gradient.
/// </summary>
internal static class FiniteDifference
{
    public static void CheckGradient(FlatTask task, double[] x, Rng rng, double tolerance = 1e-6, int directions = 5, int coordinates = 20)
    {
        var g = new double[task.Size];
        double f0 = task.Value(x, g);
        Assert.True(double.IsFinite(f0), $"{task.Name}: loss {f0} is not finite");
        double h = 1e-6 * Math.Max(1, x.Max(Math.Abs));
        foreach (var u in Directions(task.Size, rng, directions, coordinates))
        {
            double fp = task.Value(Step(x, u, h), Span<double>.Empty);
            double fm = task.Value(Step(x, u, -h), Span<double>.Empty);
            double fd = (fp - fm) / (2 * h);
            double an = Dot(g, u);
            double floor = 100 * 2.2e-16 * (Math.Abs(fp) + Math.Abs(fm)) / h;
            Assert.True(Math.Abs(fd - an) <= tolerance * Math.Max(Math.Abs(fd), Math.Abs(an)) + floor,
                $"{task.Name}: directional derivative {an:R} vs central difference {fd:R} (f = {f0})");
        }
    }

    public static void CheckHvp(FlatTask task, double[] x, Rng rng, double tolerance = 1e-5, int directions = 5, int coordinates = 5, double absoluteFloor = 0)
    {
        double h = 1e-5 * Math.Max(1, x.Max(Math.Abs));
        var hv = new double[task.Size];
        var gp = new double[task.Size];
        var gm = new double[task.Size];
        foreach (var v in Directions(task.Size, rng, directions, coordinates))
        {
            task.Hvp(x, v, hv);
            task.Value(Step(x, v, h), gp);
            task.Value(Step(x, v, -h), gm);
            double scale = 0, gscale = 0;
            for (int i = 0; i < hv.Length; i++)
            {
                scale = Math.Max(scale, Math.Abs(hv[i]));
                gscale = Math.Max(gscale, Math.Max(Math.Abs(gp[i]), Math.Abs(gm[i])));
            }
            double floor = 100 * 2.2e-16 * gscale / h + absoluteFloor;
            for (int i = 0; i < hv.Length; i++)
            {
                double fd = (gp[i] - gm[i]) / (2 * h);
                Assert.True(Math.Abs(fd - hv[i]) <= tolerance * Math.Max(scale, Math.Abs(fd)) + floor,
                    $"{task.Name}: (Hv)[{i}] = {hv[i]:R} vs difference of gradients {fd:R}");
            }
        }
    }

    public static IEnumerable<double[]> Directions(int n, Rng rng, int directions, int coordinates)
    {
        for (int d = 0; d < directions; d++)
        {
            var u = new double[n];
            double norm = 0;
            for (int i = 0; i < n; i++) { u[i] = rng.NextGaussian(); norm += u[i] * u[i]; }
            norm = Math.Sqrt(norm);
            for (int i = 0; i < n; i++) u[i] /= norm;
            yield return u;
        }
        for (int c = 0; c < coordinates; c++)
        {
            var e = new double[n];
            e[rng.NextInt(n)] = 1;
            yield return e;
        }
    }

    public static double[] Step(double[] x, double[] u, double h)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = x[i] + h * u[i];
        return y;
    }

    public static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
