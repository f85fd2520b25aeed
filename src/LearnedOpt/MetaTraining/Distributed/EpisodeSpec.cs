namespace LearnedOpt.MetaTraining.Distributed;

/// <summary>
/// What fixes one episode of a slot, whichever machine runs it: the sampler entry and instance seed
/// (the problem), the episode seed (θ₀, the data stream and the scale of parameter-scale
/// augmentation) and the episode length.
/// </summary>
public readonly record struct EpisodeSpec(int Entry, ulong InstanceSeed, ulong EpisodeSeed, long Length);

/// <summary>One slot's planned truncation of a meta-iteration and the episode it belongs to.</summary>
public readonly record struct SlotPlan(EpisodeSpec Episode, Truncation Truncation);
