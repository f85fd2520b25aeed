using LearnedOpt.Randomness;

namespace LearnedOpt.MetaTraining.Estimators;

/// <summary>Shared pieces of the antithetic estimators: Gaussian perturbations and φ ± ε.</summary>
internal static class Perturbation
{
    /// <summary>ε ~ N(0, σ²I) of length n, drawn in order from <paramref name="rng"/>.</summary>
    public static float[] Draw(Rng rng, int n, double sigma)
    {
        var e = new float[n];
        for (int i = 0; i < n; i++) e[i] = (float)(sigma * rng.NextGaussian());
        return e;
    }

    public static float[] Offset(float[] phi, float[] eps, float sign)
    {
        var r = new float[phi.Length];
        for (int i = 0; i < r.Length; i++) r[i] = phi[i] + sign * eps[i];
        return r;
    }

    /// <summary>Mean of the post-update point losses (indices 1..T): what the perturbation influenced.</summary>
    public static double StepMean(double[] points)
    {
        double s = 0;
        for (int t = 1; t < points.Length; t++) s += points[t];
        return points.Length > 1 ? s / (points.Length - 1) : 0;
    }

    public static void CheckSigma(double sigma)
    {
        if (!(sigma > 0) || !double.IsFinite(sigma))
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "The perturbation scale sigma must be finite and > 0.");
    }
}
