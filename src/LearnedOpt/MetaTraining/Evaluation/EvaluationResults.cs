namespace LearnedOpt.MetaTraining.Evaluation;

/// <summary>
/// One optimizer on one task: its learning rate (tuned on separate seeds; null for the HRNN), the
/// final log10 loss of every evaluation seed, the seed-mean log10 loss per step (the curve), and per
/// seed whether the run diverged and how many loss spikes it had (<see cref="Training.RunHealth"/>;
/// empty when not recorded).
/// </summary>
public sealed record OptimizerResult(string Optimizer, double? LearningRate, double[] FinalLog10, double[] CurveLog10,
                                     bool[]? Diverged = null, int[]? Spikes = null)
{
    public double Mean => FinalLog10.Average();

    /// <summary>Evaluation seeds whose run diverged.</summary>
    public int DivergedSeeds => Diverged?.Count(d => d) ?? 0;

    /// <summary>Loss spikes summed over the evaluation seeds.</summary>
    public int TotalSpikes => Spikes?.Sum() ?? 0;

    /// <summary>Standard error of <see cref="Mean"/> (0 with one seed).</summary>
    public double StdErr => FinalLog10.Length < 2 ? 0 : Math.Sqrt(FinalLog10.Sum(v => (v - Mean) * (v - Mean)) / (FinalLog10.Length - 1) / FinalLog10.Length);
}

/// <summary>
/// win: the HRNN's mean final log10 loss is below the best tuned baseline's by more than 2 standard
/// errors; loss: above by as much, or the HRNN diverged on any seed (whatever the means say); else tie.
/// </summary>
public enum Verdict { Win, Tie, Loss }

public sealed record TaskResult(string Task, string Group, int Steps, IReadOnlyList<OptimizerResult> Optimizers, string? Skipped = null)
{
    /// <summary>The learned optimizer under evaluation (hrnn or celo).</summary>
    public OptimizerResult? Hrnn => Optimizers.FirstOrDefault(o => IsLearned(o.Optimizer));

    /// <summary>The baseline with the lowest mean final log10 loss on the evaluation seeds.</summary>
    public OptimizerResult? BestBaseline => Optimizers.Where(o => !IsLearned(o.Optimizer)).MinBy(o => o.Mean);

    public static bool IsLearned(string optimizer) => optimizer is "hrnn" or "celo";

    public Verdict? Verdict
    {
        get
        {
            if (Hrnn is not { } h || BestBaseline is not { } b) return null;
            if (h.DivergedSeeds > 0) return Evaluation.Verdict.Loss;
            double d = h.Mean - b.Mean, se = Math.Sqrt(h.StdErr * h.StdErr + b.StdErr * b.StdErr);
            return d < -2 * se ? Evaluation.Verdict.Win : d > 2 * se ? Evaluation.Verdict.Loss : Evaluation.Verdict.Tie;
        }
    }
}
