namespace LearnedOpt.MetaTraining.Distributed;

/// <summary>
/// Runs the slots' antithetic pairs of one meta-iteration somewhere (this process, or worker silos)
/// and returns one <see cref="PairResult"/> per slot, in slot order. φ of any version the work
/// refers to comes from the <see cref="IPhiVersions"/> given to <see cref="Run"/>.
/// </summary>
public interface IPairRunner
{
    PairResult[] Run(long iteration, IReadOnlyList<SlotWork> work, IPhiVersions phis, CancellationToken cancel);
}

/// <summary>The φ versions the coordinator keeps for replays (version v = φ after v meta-updates).</summary>
public interface IPhiVersions
{
    float[] Get(long version);
}
