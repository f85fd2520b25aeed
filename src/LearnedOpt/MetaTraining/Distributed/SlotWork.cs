namespace LearnedOpt.MetaTraining.Distributed;

/// <summary>A truncation already run in a slot's current episode: at meta-iteration <paramref name="Iteration"/>, with φ of version Iteration − 1.</summary>
public readonly record struct TruncationRecord(long Iteration, Truncation Truncation);

/// <summary>
/// One slot's share of a meta-iteration: its episode, the truncations its episode has already run
/// (so that a worker without the slot's state rebuilds it by replaying them) and the one to run now.
/// </summary>
public sealed record SlotWork(int Slot, EpisodeSpec Episode, TruncationRecord[] History, Truncation Current);

/// <summary>The work of one slot group at meta-iteration <paramref name="Iteration"/> (run with φ of version Iteration − 1).</summary>
public sealed record GroupWork(long Iteration, SlotWork[] Slots);

/// <summary>
/// What a worker sends back per slot: d = mean post-update loss of the + trajectory minus that of the
/// − trajectory, the two trajectories' mean meta-objectives, whether the truncation blew up, whether
/// the slot's state was lost (onWorkerLoss = restart: no contribution, the episode ends) and how many
/// truncations were replayed to rebuild it.
/// </summary>
public readonly record struct PairResult(int Slot, long Iteration, double Delta, double MeanPlus, double MeanMinus, bool BlewUp, bool Lost, int Replayed);
