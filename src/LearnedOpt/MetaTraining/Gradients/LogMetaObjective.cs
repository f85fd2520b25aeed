namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>
/// The reference's log meta-objective over a partial unroll (decision 4): with
/// q = [F(θ₀), …, F(θ_T)] and F_init the loss at the start of the episode,
/// M = (1/(T+1)) Σ_j ln(q_j/(F_init + 1e-6) + 1e-6).
/// </summary>
public static class LogMetaObjective
{
    public const double Epsilon = 1e-6;

    /// <summary>One term ln(q/(F_init + ε) + ε).</summary>
    public static double Term(double q, double initialLoss) => Math.Log(q / (initialLoss + Epsilon) + Epsilon);

    /// <summary>d Term / d q = 1/(q + ε·(F_init + ε)).</summary>
    public static double TermDerivative(double q, double initialLoss) => 1.0 / (q + Epsilon * (initialLoss + Epsilon));

    /// <summary>M for the losses q (length T + 1).</summary>
    public static double Value(ReadOnlySpan<double> q, double initialLoss)
    {
        if (q.Length < 1) throw new ArgumentException("Need at least one loss value.", nameof(q));
        double sum = 0;
        foreach (var v in q) sum += Term(v, initialLoss);
        return sum / q.Length;
    }
}
