using LearnedOpt.Randomness;

namespace LearnedOpt.Tests.Data;

/// <summary>
/// docs/tasks.md, tests: float64 central differences (f(θ+hu) − f(θ−hu))/2h with h = 1e-6·max(1, ‖θ‖∞)
/// against ∇f·u, for 5 random unit directions and 20 random coordinates.
/// </summary>
internal static class GradientCheck
{
    /// <param name="f">Loss at θ, writing the gradient into the second argument when it is not null.</param>
    /// <param name="floor">Magnitude below which the error is taken as absolute (FD rounding is ~1e-10·|f|).</param>
    public static double MaxRelativeError(Func<double[][], double[][]?, double> f, double[][] theta, ulong seed, double floor = 1e-3)
    {
        var grad = theta.Select(t => new double[t.Length]).ToArray();
        f(theta, grad);
        int n = theta.Sum(t => t.Length);
        double h = 1e-6 * Math.Max(1, theta.SelectMany(t => t).Max(Math.Abs));
        var rng = new Rng(seed);
        double worst = 0;
        for (int k = 0; k < 25; k++)
        {
            var u = new double[n];
            if (k < 5)
            {
                for (int i = 0; i < n; i++) u[i] = rng.NextGaussian();
                double norm = Math.Sqrt(u.Sum(v => v * v));
                for (int i = 0; i < n; i++) u[i] /= norm;
            }
            else
            {
                u[rng.NextInt(n)] = 1;
            }
            double fd = (f(Shift(theta, u, h), null) - f(Shift(theta, u, -h), null)) / (2 * h);
            double an = 0;
            int j = 0;
            foreach (var g in grad)
                foreach (var v in g) an += v * u[j++];
            double err = Math.Abs(fd - an) / Math.Max(Math.Max(Math.Abs(fd), Math.Abs(an)), floor);
            worst = Math.Max(worst, err);
        }
        return worst;
    }

    private static double[][] Shift(double[][] theta, double[] u, double h)
    {
        int j = 0;
        return theta.Select(t => t.Select(v => v + h * u[j++]).ToArray()).ToArray();
    }
}
