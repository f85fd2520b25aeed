namespace LearnedOpt.Tasks;

/// <summary>
/// The loss side of softmax cross-entropy shared by the classifier networks: the cross-entropy of
/// label y is log Σ_k exp(z_k) − z_y, with the sum taken around the largest logit so that no
/// exponential overflows. The gradient, (softmax − one-hot), stays with each network's backward.
/// </summary>
internal static class SoftmaxCrossEntropy
{
    /// <summary>log Σ exp(z) over <paramref name="logits"/>, and the first index of the largest logit (the predicted class).</summary>
    public static double LogSumExp(ReadOnlySpan<double> logits, out int argmax)
    {
        double max = double.NegativeInfinity;
        argmax = 0;
        for (int k = 0; k < logits.Length; k++)
            if (logits[k] > max) { max = logits[k]; argmax = k; }
        double sumExp = 0;
        for (int k = 0; k < logits.Length; k++) sumExp += Math.Exp(logits[k] - max);
        return max + Math.Log(sumExp);
    }
}
