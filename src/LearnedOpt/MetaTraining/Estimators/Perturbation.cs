using LearnedOpt.Randomness;

namespace LearnedOpt.MetaTraining.Estimators;

/// <summary>Shared pieces of the antithetic estimators: Gaussian perturbations and φ ± ε.</summary>
public static class Perturbation
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

    /// <summary>
    /// Unrolls every slot's pair from <paramref name="plus"/> / <paramref name="minus"/> (updated in place)
    /// with φ ± εᵢ: in one lock-step call when the environment batches, else as 2n unrolls on threads.
    /// Returns the per-step point losses of the + and − trajectories.
    /// </summary>
    public static (double[][] Plus, double[][] Minus) UnrollPairs(IUnrollEnvironment env, InnerState[] plus, InnerState[] minus,
                                                                   float[] phi, float[][] eps, Truncation[] plan, int threads)
    {
        int n = plus.Length;
        var lp = new double[n][];
        var lm = new double[n][];
        if (env is IBatchedUnrollEnvironment batched)
        {
            var requests = new UnrollRequest[2 * n];
            for (int i = 0; i < n; i++)
            {
                requests[2 * i] = new UnrollRequest(i, plus[i], Offset(phi, eps[i], +1), plan[i]);
                requests[2 * i + 1] = new UnrollRequest(i, minus[i], Offset(phi, eps[i], -1), plan[i]);
            }
            var points = batched.UnrollMany(requests);
            for (int i = 0; i < n; i++) (lp[i], lm[i]) = (points[2 * i], points[2 * i + 1]);
        }
        else
        {
            Parallel.For(0, 2 * n, new ParallelOptions { MaxDegreeOfParallelism = threads }, j =>
            {
                int i = j / 2;
                if (j % 2 == 0) lp[i] = env.Unroll(i, plus[i], Offset(phi, eps[i], +1), plan[i]);
                else lm[i] = env.Unroll(i, minus[i], Offset(phi, eps[i], -1), plan[i]);
            });
        }
        return (lp, lm);
    }
}
