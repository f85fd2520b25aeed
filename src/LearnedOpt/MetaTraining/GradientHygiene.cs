namespace LearnedOpt.MetaTraining;

/// <summary>
/// Meta-gradient cleaning before the meta-update (docs/meta-training.md, decision 7): non-finite entries → 0, clip each
/// entry to ±clipValue, then scale the whole vector down to global norm ≤ clipNorm (one spike
/// otherwise saturates Adam's second moments, as seen in exploratory runs). Returns the norm before the global clip.
/// </summary>
public static class GradientHygiene
{
    public static double Apply(Span<float> g, double clipValue, double clipNorm)
    {
        double sq = 0;
        for (int i = 0; i < g.Length; i++)
        {
            float v = g[i];
            if (!float.IsFinite(v)) v = 0;
            v = (float)Math.Clamp(v, -clipValue, clipValue);
            g[i] = v;
            sq += (double)v * v;
        }
        double norm = Math.Sqrt(sq);
        if (norm > clipNorm)
        {
            float scale = (float)(clipNorm / norm);
            for (int i = 0; i < g.Length; i++) g[i] *= scale;
        }
        return norm;
    }
}
