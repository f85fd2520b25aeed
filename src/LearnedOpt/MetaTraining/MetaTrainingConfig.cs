using System.Text.Json;
using System.Text.Json.Serialization;

namespace LearnedOpt.MetaTraining;

/// <summary>
/// Every setting of a meta-training run (docs/meta-training.md lists the keys). <see cref="Default"/>
/// is the embedded default: sized to give a visibly better optimizer on two CPU cores in about ten
/// minutes; a GPU or longer run changes only the numbers here (slots, iterations, maxParameters).
/// JSON is camelCase; unknown keys are rejected so a typo cannot silently fall back to a default.
/// </summary>
public sealed record MetaTrainingConfig
{
    /// <summary>pes | es | tbptt.</summary>
    public string Estimator { get; set; } = "pes";
    public ulong Seed { get; set; } = 1;
    /// <summary>Ensemble variant of the synthetic catalog (decision 1: "default" has no neural networks).</summary>
    public string Ensemble { get; set; } = "default";
    /// <summary>Entries with more parameters are left out of sampling (CPU budget; raise on a GPU).</summary>
    public int MaxParameters { get; set; } = 64;
    /// <summary>Inner problems in flight per meta-iteration (each its own episode).</summary>
    public int Slots { get; set; } = 16;
    public int MetaIterations { get; set; } = 20000;
    /// <summary>Episode length = min + round(Exp(meanExtra)), at most max (docs/meta-training.md).</summary>
    public int EpisodeMinSteps { get; set; } = 100;
    public double EpisodeMeanExtraSteps { get; set; } = 100;
    public int EpisodeMaxSteps { get; set; } = 400;
    /// <summary>Truncation length = min + round(Exp(meanExtra)), at most max, cut at the episode end.</summary>
    public int TruncationMinSteps { get; set; } = 20;
    public double TruncationMeanExtraSteps { get; set; } = 20;
    public int TruncationMaxSteps { get; set; } = 80;
    /// <summary>ES/PES perturbation scale σ.</summary>
    public double Sigma { get; set; } = 0.01;
    /// <summary>Cap of one point's log meta-loss (NaN/∞ count as the cap).</summary>
    public double MaxPointLoss { get; set; } = 5;
    /// <summary>adam (decision 7) | rmsprop-reference (lr 1e-6, accumulator init 1).</summary>
    public string MetaOptimizer { get; set; } = "adam";
    public double MetaLearningRate { get; set; } = 3e-3;
    public double ClipValue { get; set; } = 1e4;
    public double ClipGlobalNorm { get; set; } = 1.0;
    /// <summary>HRNN sizes H1, H2 (H0 is 10) and the seed of the initial weights.</summary>
    public int H1 { get; set; } = 20;
    public int H2 { get; set; } = 20;
    public ulong InitSeed { get; set; } = 0;
    /// <summary>Optional HRNN weight file to start φ from instead of the initSeed weights (warm start); its H1/H2 must match.</summary>
    public string? InitWeights { get; set; }
    /// <summary>Validation: problems of the training families on fresh seeds, steps each, every N meta-iterations.</summary>
    public int ValidationProblems { get; set; } = 24;
    public int ValidationSteps { get; set; } = 200;
    public int ValidateEvery { get; set; } = 50;
    public int CheckpointEvery { get; set; } = 25;
    public int KeepCheckpoints { get; set; } = 3;
    /// <summary>Managed threads unrolling trajectories in parallel; 0 = processor count.</summary>
    public int Threads { get; set; } = 0;
    /// <summary>
    /// per-slot (each trajectory its own unroll, float64 problem math, in parallel threads) or
    /// batched (every trajectory of a meta-iteration in lock-step on the run's backend: grouped
    /// HRNN step, batched problems; es and pes only; entries without a batched problem are left out).
    /// </summary>
    public string Unroll { get; set; } = PerSlotUnroll;

    /// <summary>Weight w of the parameter-growth penalty w·mean over the truncation of relu(ln(‖θ_t‖/‖θ_0‖) − ln c)²; 0 = off (es, pes).</summary>
    public double GrowthPenaltyWeight { get; set; } = 0;
    /// <summary>The penalty's free zone c: growth of ‖θ‖ up to this factor costs nothing.</summary>
    public double GrowthPenaltyFreeFactor { get; set; } = 30;
    /// <summary>Reset an episode (dropping its truncation from the estimate) once ‖θ_t‖/‖θ_0‖ exceeds this; 0 = off (es, pes).</summary>
    public double ResetNormRatio { get; set; } = 0;
    /// <summary>Reset an episode (dropping its truncation) on a non-finite inner loss instead of capping it (es, pes).</summary>
    public bool ResetOnNonFiniteLoss { get; set; } = false;
    /// <summary>Parameter-scale augmentation: each episode's problem is rescaled θ = s·θ' with s log-uniform over [1/max, max]; 1 = off.</summary>
    public double ParameterScaleMax { get; set; } = 1;
    /// <summary>Extra validation problems from the ReLU network families (teacher–student, 8×8 Fashion-MNIST), run validationNetworkSteps each.</summary>
    public int ValidationNetworkProblems { get; set; } = 0;
    public int ValidationNetworkSteps { get; set; } = 1000;
    /// <summary>Run the dying-gradient probe at every validation; a checkpoint that fails it is never selected as best.</summary>
    public bool ValidationProbe { get; set; } = false;

    /// <summary>
    /// sequential (one generator read in order) or keyed (each ES/PES perturbation a pure function of
    /// the seed, the iteration and the slot, so other machines regenerate it; --cluster needs it).
    /// </summary>
    public string Perturbations { get; set; } = Estimators.PerturbationStream.Sequential;
    /// <summary>Cluster runs: slots per slot-group grain (one call per group per iteration).</summary>
    public int SlotsPerGroup { get; set; } = 8;
    /// <summary>Cluster runs: replay (a lost group rebuilds its episodes exactly) or restart (lost slots start new episodes).</summary>
    public string OnWorkerLoss { get; set; } = ReplayOnWorkerLoss;

    /// <summary>Whether the growth penalty or a reset rule is on.</summary>
    [JsonIgnore]
    public bool ControlsGrowth => GrowthPenaltyWeight > 0 || ResetNormRatio > 0 || ResetOnNonFiniteLoss;

    public const string PerSlotUnroll = "per-slot", BatchedUnroll = "batched";
    public const string ReplayOnWorkerLoss = "replay", RestartOnWorkerLoss = "restart";

    public static MetaTrainingConfig Default => new();

    public string ToJson() => JsonSerializer.Serialize(this, MetaTrainingConfigJson.Default.MetaTrainingConfig);

    public static MetaTrainingConfig FromJson(string json, string source)
    {
        MetaTrainingConfig? c;
        try
        {
            c = JsonSerializer.Deserialize(json, MetaTrainingConfigJson.Default.MetaTrainingConfig);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}");
        }
        if (c == null) throw new InvalidDataException($"{source}: the config is empty (null).");
        c.Validate(source);
        return c;
    }

    public static MetaTrainingConfig Load(string path) => FromJson(File.ReadAllText(path), path);

    [JsonIgnore]
    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    /// <summary>Checks every key's range; the message names the key and the value.</summary>
    public void Validate(string source = "config")
    {
        void Fail(string key, object value, string rule) => throw new ArgumentException($"{source}: {key} = {value}: {rule}.", key);
        if (Estimator is not ("pes" or "es" or "tbptt")) Fail("estimator", Estimator, "must be pes, es or tbptt");
        if (MetaOptimizer is not ("adam" or "rmsprop-reference")) Fail("metaOptimizer", MetaOptimizer, "must be adam or rmsprop-reference");
        if (MaxParameters < 1) Fail("maxParameters", MaxParameters, "must be >= 1");
        if (Slots < 1) Fail("slots", Slots, "must be >= 1");
        if (MetaIterations < 0) Fail("metaIterations", MetaIterations, "must be >= 0");
        if (EpisodeMinSteps < 1) Fail("episodeMinSteps", EpisodeMinSteps, "must be >= 1");
        if (EpisodeMaxSteps < EpisodeMinSteps) Fail("episodeMaxSteps", EpisodeMaxSteps, "must be >= episodeMinSteps");
        if (!(EpisodeMeanExtraSteps >= 0) || !double.IsFinite(EpisodeMeanExtraSteps)) Fail("episodeMeanExtraSteps", EpisodeMeanExtraSteps, "must be finite and >= 0");
        if (TruncationMinSteps < 1) Fail("truncationMinSteps", TruncationMinSteps, "must be >= 1");
        if (TruncationMaxSteps < TruncationMinSteps) Fail("truncationMaxSteps", TruncationMaxSteps, "must be >= truncationMinSteps");
        if (!(TruncationMeanExtraSteps >= 0) || !double.IsFinite(TruncationMeanExtraSteps)) Fail("truncationMeanExtraSteps", TruncationMeanExtraSteps, "must be finite and >= 0");
        if (!(Sigma > 0) || !double.IsFinite(Sigma)) Fail("sigma", Sigma, "must be finite and > 0");
        if (!(MaxPointLoss > 0) || !double.IsFinite(MaxPointLoss)) Fail("maxPointLoss", MaxPointLoss, "must be finite and > 0");
        if (!(MetaLearningRate > 0) || !double.IsFinite(MetaLearningRate)) Fail("metaLearningRate", MetaLearningRate, "must be finite and > 0");
        if (!(ClipValue > 0)) Fail("clipValue", ClipValue, "must be > 0 (use a large value to disable)");
        if (!(ClipGlobalNorm > 0)) Fail("clipGlobalNorm", ClipGlobalNorm, "must be > 0 (use a large value to disable)");
        if (H1 < 1 || H1 > 4096) Fail("h1", H1, "must be in [1, 4096]");
        if (H2 < 1 || H2 > 4096) Fail("h2", H2, "must be in [1, 4096]");
        if (InitWeights is { } w && string.IsNullOrWhiteSpace(w)) Fail("initWeights", $"'{w}'", "must be a weight file path or absent");
        if (ValidationProblems < 0) Fail("validationProblems", ValidationProblems, "must be >= 0");
        if (ValidationSteps < 1) Fail("validationSteps", ValidationSteps, "must be >= 1");
        if (ValidateEvery < 1) Fail("validateEvery", ValidateEvery, "must be >= 1");
        if (CheckpointEvery < 1) Fail("checkpointEvery", CheckpointEvery, "must be >= 1");
        if (KeepCheckpoints < 2) Fail("keepCheckpoints", KeepCheckpoints, "must be >= 2 (a corrupt newest one falls back to the previous)");
        if (Threads < 0) Fail("threads", Threads, "must be >= 0 (0 = processor count)");
        if (Unroll is not (PerSlotUnroll or BatchedUnroll)) Fail("unroll", Unroll, "must be per-slot or batched");
        if (Unroll == BatchedUnroll && Estimator == "tbptt") Fail("unroll", Unroll, "batched unrolls serve the es and pes estimators; tbptt needs per-slot");
        if (!(GrowthPenaltyWeight >= 0) || !double.IsFinite(GrowthPenaltyWeight)) Fail("growthPenaltyWeight", GrowthPenaltyWeight, "must be finite and >= 0 (0 = off)");
        if (!(GrowthPenaltyFreeFactor >= 1) || !double.IsFinite(GrowthPenaltyFreeFactor)) Fail("growthPenaltyFreeFactor", GrowthPenaltyFreeFactor, "must be finite and >= 1");
        if (ResetNormRatio != 0 && (!(ResetNormRatio > 1) || !double.IsFinite(ResetNormRatio))) Fail("resetNormRatio", ResetNormRatio, "must be 0 (off) or finite and > 1");
        if (!(ParameterScaleMax >= 1 && ParameterScaleMax <= 1e6)) Fail("parameterScaleMax", ParameterScaleMax, "must be in [1, 1e6] (1 = off)");
        if (ValidationNetworkProblems < 0) Fail("validationNetworkProblems", ValidationNetworkProblems, "must be >= 0");
        if (ValidationNetworkSteps < 1) Fail("validationNetworkSteps", ValidationNetworkSteps, "must be >= 1");
        if (Perturbations is not (Estimators.PerturbationStream.Sequential or Estimators.PerturbationStream.Keyed))
            Fail("perturbations", Perturbations, "must be sequential or keyed");
        if (Perturbations == Estimators.PerturbationStream.Keyed && Estimator == "tbptt") Fail("perturbations", Perturbations, "keyed perturbations serve the es and pes estimators; tbptt draws none");
        if (SlotsPerGroup < 1) Fail("slotsPerGroup", SlotsPerGroup, "must be >= 1");
        if (OnWorkerLoss is not (ReplayOnWorkerLoss or RestartOnWorkerLoss)) Fail("onWorkerLoss", OnWorkerLoss, "must be replay or restart");
        string? growthKey = GrowthPenaltyWeight > 0 ? "growthPenaltyWeight" : ResetNormRatio > 0 ? "resetNormRatio" : ResetOnNonFiniteLoss ? "resetOnNonFiniteLoss" : null;
        object? growthValue = GrowthPenaltyWeight > 0 ? GrowthPenaltyWeight : ResetNormRatio > 0 ? ResetNormRatio : ResetOnNonFiniteLoss ? true : null;
        if (growthKey != null && Estimator == "tbptt") Fail(growthKey, growthValue!, "the growth penalty and episode resets serve the es and pes estimators, not tbptt");
        if (growthKey != null && Unroll == BatchedUnroll) Fail(growthKey, growthValue!, "the growth penalty and episode resets need per-slot unrolls");
        if (ParameterScaleMax > 1 && Unroll == BatchedUnroll) Fail("parameterScaleMax", ParameterScaleMax, "parameter-scale augmentation needs per-slot unrolls");
        if (Ensemble == Tasks.Synthetic.SyntheticCatalog.NetworksVariant && Estimator == "tbptt")
            Fail("ensemble", Ensemble, "its ReLU network problems have no Hessian-vector product, which tbptt needs; use es or pes");
    }
}
