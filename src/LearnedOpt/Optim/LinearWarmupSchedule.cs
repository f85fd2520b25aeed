namespace LearnedOpt.Optim;

/// <summary>(step + 1) / W for the first W steps, then the following schedule from its step 0.</summary>
internal sealed class LinearWarmupSchedule : LearningRateSchedule
{
    private readonly long _warmupSteps;
    private readonly LearningRateSchedule _then;

    public LinearWarmupSchedule(long warmupSteps, LearningRateSchedule then)
    {
        if (warmupSteps < 1) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "warmupSteps must be >= 1.");
        _warmupSteps = warmupSteps;
        _then = then;
    }

    public override double Factor(long step)
        => step < _warmupSteps ? (double)(step + 1) / _warmupSteps : _then.Factor(step - _warmupSteps);
}
