namespace LearnedOpt.Tasks;

/// <summary>A task with a held-back test split: evaluated after training, never used for gradients.</summary>
public interface IHasTestSplit
{
    /// <summary>Loss (and accuracy, for classification) over the whole test split.</summary>
    Evaluation EvaluateTest(IReadOnlyList<double[]> theta);

    /// <summary>Loss (and accuracy) over the whole training split, the one <see cref="ITask.Loss"/> uses.</summary>
    Evaluation EvaluateTrain(IReadOnlyList<double[]> theta);
}
