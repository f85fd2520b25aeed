namespace LearnedOpt.Tasks.Synthetic;

/// <summary>The label a random one-hidden-layer tanh teacher gives an input: argmax over classes of tanh(x·W₁ + b₁)·W₂ (W₁ is d×h, W₂ is h×classes, row-major).</summary>
internal static class TanhTeacher
{
    public static byte Label(ReadOnlySpan<double> x, double[] w1, double[] b1, double[] w2, int classes, Span<double> hidden)
    {
        int d = x.Length, h = b1.Length;
        for (int j = 0; j < h; j++)
        {
            double s = b1[j];
            for (int i = 0; i < d; i++) s += x[i] * w1[i * h + j];
            hidden[j] = Math.Tanh(s);
        }
        int best = 0;
        double top = double.NegativeInfinity;
        for (int k = 0; k < classes; k++)
        {
            double s = 0;
            for (int j = 0; j < h; j++) s += hidden[j] * w2[j * classes + k];
            if (s > top) (top, best) = (s, k);
        }
        return (byte)best;
    }
}
