namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>
/// The per-coordinate weights (<see cref="HrnnParameters.CoordinatePack"/>, 737 doubles) placed where
/// an <see cref="HrnnCoordinateEngine"/> reads them: uploaded once per unroll, not per step.
/// </summary>
public abstract class CoordinateWeights : IDisposable
{
    protected CoordinateWeights(HrnnCoordinateEngine owner) => Owner = owner;

    public HrnnCoordinateEngine Owner { get; }

    public abstract void Dispose();
}
