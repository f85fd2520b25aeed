namespace LearnedOpt.Optim;

/// <summary>gamma^⌊step / stepSize⌋: the factor drops by gamma every stepSize steps.</summary>
internal sealed class StepDecaySchedule : LearningRateSchedule
{
    private readonly long _stepSize;
    private readonly double _gamma;

    public StepDecaySchedule(long stepSize, double gamma)
    {
        if (stepSize < 1) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "stepSize must be >= 1.");
        if (!(gamma >= 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be in [0, 1].");
        _stepSize = stepSize;
        _gamma = gamma;
    }

    public override double Factor(long step) => Math.Pow(_gamma, step / _stepSize);
}
