using LearnedOpt.Randomness;

namespace LearnedOpt.Tasks;

/// <summary>How an MLP's weights and biases are drawn.</summary>
public sealed record MlpInitialization
{
    private MlpInitialization(bool truncatedFanIn, double std)
    {
        TruncatedFanIn = truncatedFanIn;
        Std = std;
    }

    /// <summary>
    /// Haiku's <c>hk.Linear</c> default (learned_optimization's image MLPs): weights from a normal
    /// with σ = 1/√fan_in truncated at ±2σ (σ is not rescaled after truncation), biases zero.
    /// </summary>
    public static MlpInitialization TruncatedNormalFanIn { get; } = new(true, 0);

    /// <summary>L2O-DM's MLP: every weight and bias ~ N(0, std²).</summary>
    public static MlpInitialization Gaussian(double std)
    {
        if (!(std > 0) || !double.IsFinite(std)) throw new ArgumentOutOfRangeException(nameof(std), std, "The init standard deviation must be finite and > 0.");
        return new MlpInitialization(false, std);
    }

    public bool TruncatedFanIn { get; }
    public double Std { get; }

    /// <summary>Fills the weights (fan_in = <paramref name="fanIn"/>) or, when <paramref name="isBias"/>, a bias vector.</summary>
    public void Fill(Rng rng, Span<double> values, int fanIn, bool isBias)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (TruncatedFanIn)
        {
            if (isBias)
            {
                values.Clear();
                return;
            }
            double sigma = 1.0 / Math.Sqrt(fanIn);
            for (int i = 0; i < values.Length; i++)
            {
                double z;
                do z = rng.NextGaussian(); while (Math.Abs(z) > 2.0);
                values[i] = sigma * z;
            }
            return;
        }
        for (int i = 0; i < values.Length; i++) values[i] = Std * rng.NextGaussian();
    }
}
