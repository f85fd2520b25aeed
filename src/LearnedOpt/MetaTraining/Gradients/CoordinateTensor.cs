namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>
/// The 21 float64 state values (or their adjoints) of every coordinate of one parameter tensor,
/// coordinate-major (<see cref="TbpttHrnnState.PerCoordinate"/>), in the memory of the
/// <see cref="HrnnCoordinateEngine"/> that allocated it (host arrays or device memory).
/// </summary>
public abstract class CoordinateTensor : IDisposable
{
    protected CoordinateTensor(HrnnCoordinateEngine owner, int length)
    {
        Owner = owner;
        Length = length;
    }

    /// <summary>The engine whose memory holds the values.</summary>
    public HrnnCoordinateEngine Owner { get; }

    /// <summary>Number of coordinates (the tensor's parameter count).</summary>
    public int Length { get; }

    /// <summary>Number of doubles: <see cref="Length"/> × 21.</summary>
    public long Values => (long)Length * TbpttHrnnState.PerCoordinate;

    public abstract void Dispose();
}
