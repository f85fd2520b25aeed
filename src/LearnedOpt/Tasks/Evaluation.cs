namespace LearnedOpt.Tasks;

/// <summary>Loss over a whole split, and the fraction classified correctly where the task classifies.</summary>
public sealed record Evaluation(double Loss, double? Accuracy);
