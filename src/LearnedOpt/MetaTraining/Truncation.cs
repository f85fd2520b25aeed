namespace LearnedOpt.MetaTraining;

/// <summary>
/// One slot's next partial unroll: <see cref="Steps"/> inner steps starting at inner step
/// <see cref="StartStep"/> of its episode. <see cref="StartsEpisode"/>: the slot begins a new
/// episode (new problem, θ and optimizer state reset together, decision 5); <see cref="EndsEpisode"/>:
/// the episode's last step is this truncation's last step (truncations never cross an episode end).
/// </summary>
public readonly record struct Truncation(int Steps, long StartStep, bool StartsEpisode, bool EndsEpisode);
