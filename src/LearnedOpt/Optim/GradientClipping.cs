namespace LearnedOpt.Optim;

/// <summary>Gradient clipping by global norm (Pascanu et al. 2013; torch.nn.utils.clip_grad_norm_).</summary>
public static class GradientClipping
{
    /// <summary>The L2 norm of all gradients together, √(Σ_i Σ_j g_ij²), accumulated in double.</summary>
    /// <param name="gradients">The gradient arrays.</param>
    public static double GlobalNorm(IReadOnlyList<float[]> gradients)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        double sum = 0;
        for (int i = 0; i < gradients.Count; i++)
        {
            var g = gradients[i] ?? throw new ArgumentNullException(nameof(gradients), $"gradients[{i}] is null.");
            foreach (var x in g) sum += (double)x * x;
        }
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// Scales every gradient in place by maxNorm / (norm + 1e-6) when the global norm exceeds
    /// <paramref name="maxNorm"/> (torch's coefficient), so that the clipped norm is at most maxNorm.
    /// A non-finite norm leaves the gradients as they are (the optimizer's non-finite policy applies).
    /// </summary>
    /// <param name="gradients">The gradient arrays, changed in place.</param>
    /// <param name="maxNorm">The largest global norm, finite and > 0.</param>
    /// <returns>The global norm before clipping.</returns>
    public static double ClipByGlobalNorm(IReadOnlyList<float[]> gradients, double maxNorm)
    {
        if (!double.IsFinite(maxNorm) || maxNorm <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "maxNorm must be finite and > 0.");
        double norm = GlobalNorm(gradients);
        if (!double.IsFinite(norm) || norm <= maxNorm) return norm;
        float scale = (float)(maxNorm / (norm + 1e-6));
        foreach (var g in gradients)
            for (int j = 0; j < g.Length; j++) g[j] *= scale;
        return norm;
    }
}
