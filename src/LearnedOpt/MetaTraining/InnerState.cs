namespace LearnedOpt.MetaTraining;

/// <summary>
/// The state one trajectory carries between truncations, flattened: for the HRNN, θ then the
/// optimizer state. <see cref="Fresh"/> marks an episode start whose optimizer state is still to be
/// initialised from the meta-parameters the unroll uses (the HRNN's h0 are meta-parameters).
/// </summary>
public sealed class InnerState
{
    public InnerState(float[] values, bool fresh)
    {
        ArgumentNullException.ThrowIfNull(values);
        Values = values;
        Fresh = fresh;
    }

    public float[] Values { get; set; }
    public bool Fresh { get; set; }

    public InnerState Clone() => new((float[])Values.Clone(), Fresh);
}
