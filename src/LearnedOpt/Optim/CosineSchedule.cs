namespace LearnedOpt.Optim;

/// <summary>m + (1 − m)(1 + cos(π min(step, T) / T)) / 2: half a cosine from 1 down to m, then m.</summary>
internal sealed class CosineSchedule : LearningRateSchedule
{
    private readonly long _totalSteps;
    private readonly double _minFactor;

    public CosineSchedule(long totalSteps, double minFactor)
    {
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "totalSteps must be >= 1.");
        if (!(minFactor >= 0 && minFactor <= 1)) throw new ArgumentOutOfRangeException(nameof(minFactor), minFactor, "minFactor must be in [0, 1].");
        _totalSteps = totalSteps;
        _minFactor = minFactor;
    }

    public override double Factor(long step)
    {
        double progress = (double)Math.Min(step, _totalSteps) / _totalSteps;
        return _minFactor + (1 - _minFactor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
