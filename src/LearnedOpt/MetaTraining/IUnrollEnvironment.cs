namespace LearnedOpt.MetaTraining;

/// <summary>
/// What the gradient estimators unroll: <see cref="Slots"/> independent inner problems, each in its
/// own episode, advanced one truncation per estimator call by a learned optimizer with meta-parameters
/// φ. The environment owns the episodic bookkeeping (problem, episode length, step, data seeds), which
/// both trajectories of an antithetic pair share; the estimators own the trajectories' states.
/// <see cref="Unroll"/> must be safe to call concurrently for different states.
/// </summary>
public interface IUnrollEnvironment
{
    int Slots { get; }

    /// <summary>|φ|.</summary>
    int MetaParameterCount { get; }

    /// <summary>Plans (and commits) every slot's next truncation, starting new episodes where the last one ended.</summary>
    Truncation[] NextTruncations();

    /// <summary>A fresh state of the slot's current episode (its initial point).</summary>
    InnerState InitialState(int slot);

    /// <summary>
    /// Runs <paramref name="truncation"/> from <paramref name="state"/> (updated in place) with
    /// meta-parameters <paramref name="phi"/>. Returns Steps + 1 per-step meta-losses: index 0 at the
    /// start point, index t after t updates. Values are finite (the environment caps divergence).
    /// </summary>
    double[] Unroll(int slot, InnerState state, float[] phi, Truncation truncation);

    /// <summary>
    /// Whether the slot's last unrolled truncation blew up (a reset rule of <see cref="ParameterGrowth"/>):
    /// the estimator drops its contribution and the next plan starts a new episode there.
    /// </summary>
    bool BlewUp(int slot) => false;

    /// <summary>Writes the bookkeeping (not the trajectories) for a checkpoint.</summary>
    void Save(StateBag bag, string prefix);

    void Load(StateBag bag, string prefix);
}
