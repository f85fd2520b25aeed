namespace LearnedOpt.Optim;

/// <summary>Factor 1 at every step: the base learning rate (or the learned optimizer's own step) unchanged.</summary>
internal sealed class ConstantSchedule : LearningRateSchedule
{
    public override double Factor(long step) => 1.0;
}
