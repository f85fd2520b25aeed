namespace LearnedOpt.Optim;

/// <summary>
/// A learning-rate schedule: the factor that multiplies a hand-designed optimizer's learning rate,
/// or a learned optimizer's step, at each step. Step indices count the steps already taken, so the
/// first step is step 0 (as torch.optim.lr_scheduler counts them).
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The factor at step <paramref name="step"/> (0 for the first step); finite and >= 0.</summary>
    /// <param name="step">Steps already taken.</param>
    public abstract double Factor(long step);

    /// <summary>Factor 1 at every step.</summary>
    public static LearningRateSchedule Constant() => new ConstantSchedule();

    /// <summary>
    /// Linear warm-up: factor (step + 1) / <paramref name="warmupSteps"/> for the first
    /// <paramref name="warmupSteps"/> steps (the last of them reaches 1), then
    /// <paramref name="then"/> counted from the end of the warm-up (constant 1 when null).
    /// </summary>
    /// <param name="warmupSteps">Steps of the warm-up, >= 1.</param>
    /// <param name="then">The schedule after the warm-up, its step 0 being the first step after it.</param>
    public static LearningRateSchedule LinearWarmup(long warmupSteps, LearningRateSchedule? then = null)
        => new LinearWarmupSchedule(warmupSteps, then ?? Constant());

    /// <summary>
    /// Cosine decay (Loshchilov and Hutter 2017, without restarts): factor
    /// m + (1 − m)(1 + cos(π t / T)) / 2 with t = min(step, T), from 1 at step 0 to m at step T and after.
    /// </summary>
    /// <param name="totalSteps">T, the steps over which the factor decays, >= 1.</param>
    /// <param name="minFactor">m, the final factor, in [0, 1].</param>
    public static LearningRateSchedule Cosine(long totalSteps, double minFactor = 0) => new CosineSchedule(totalSteps, minFactor);

    /// <summary>Step decay: factor gamma^⌊step / stepSize⌋ (torch.optim.lr_scheduler.StepLR).</summary>
    /// <param name="stepSize">Steps between two decays, >= 1.</param>
    /// <param name="gamma">The factor of each decay, in [0, 1].</param>
    public static LearningRateSchedule Step(long stepSize, double gamma = 0.1) => new StepDecaySchedule(stepSize, gamma);
}
