namespace LearnedOpt.Training;

/// <summary>
/// What a single-task run produced: the minibatch training loss the optimizer saw before each
/// step (index = step), and the final parameters as the optimizer holds them (float32).
/// </summary>
public sealed record TrainingRun(double[] StepLosses, float[][] FinalParameters, long NonFiniteGradients, TimeSpan Elapsed)
{
    /// <summary>The final parameters widened to float64, as tasks take them.</summary>
    public double[][] FinalTheta => FinalParameters.Select(p => Array.ConvertAll(p, v => (double)v)).ToArray();
}
