namespace LearnedOpt.MetaTraining;

/// <summary>One trajectory's part of a batched unroll: the slot it belongs to, its carried state (updated in place), its φ and the slot's truncation.</summary>
public readonly record struct UnrollRequest(int Slot, InnerState State, float[] Phi, Truncation Truncation);

/// <summary>
/// An environment that runs many trajectories of one meta-iteration together (lock-step on a
/// backend) instead of one <see cref="IUnrollEnvironment.Unroll"/> call each. Estimators use
/// <see cref="UnrollMany"/> when their environment offers it.
/// </summary>
public interface IBatchedUnrollEnvironment : IUnrollEnvironment
{
    /// <summary>
    /// Runs every request's truncation (states updated in place); result j holds request j's
    /// Steps + 1 point losses, as <see cref="IUnrollEnvironment.Unroll"/> would return them.
    /// </summary>
    double[][] UnrollMany(IReadOnlyList<UnrollRequest> requests);
}
