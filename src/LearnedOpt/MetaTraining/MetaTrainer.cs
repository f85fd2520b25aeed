using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LearnedOpt.Backends;
using LearnedOpt.IO;
using LearnedOpt.MetaTraining.Batched;
using LearnedOpt.MetaTraining.Estimators;
using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.MetaTraining;

/// <summary>
/// The meta-training loop: each meta-iteration asks the estimator for ∇φ over <c>slots</c> problems
/// (one truncation each), cleans it (<see cref="GradientHygiene"/>) and applies one meta-optimizer
/// step. Every <c>validateEvery</c> iterations φ is scored on the in-distribution validation set and
/// the best so far is written to best.safetensors; every <c>checkpointEvery</c> iterations the whole
/// state (φ, meta-optimizer, estimator trajectories, environment bookkeeping, RNGs) is checkpointed,
/// so a resumed run continues bit-identically on CPU. Output directory:
/// config.json, metrics.jsonl, checkpoints/, weights.safetensors (last φ), best.safetensors.
/// </summary>
public sealed class MetaTrainer : IDisposable
{
    public const string ConfigFile = "config.json", MetricsFile = "metrics.jsonl", FinalWeightsFile = "weights.safetensors", BestWeightsFile = "best.safetensors";

    private readonly IBackend _backend;
    private readonly IUnrollEnvironment _env;
    private readonly IMetaGradientEstimator _estimator;
    private readonly HrnnCoordinateEngine? _tbpttEngine;  // TBPTT's per-coordinate work on a device, owned here
    private readonly MetaOptimizer _metaOptimizer;
    private readonly ValidationSet _validation;
    private readonly CheckpointStore _checkpoints;
    private long _innerSteps;
    private double _bestScore = double.PositiveInfinity;
    private long _bestIteration = -1;

    /// <param name="backend">Runs the per-slot unrolls and validation (the CPU library).</param>
    /// <param name="unrollBackend">Runs the batched unrolls (<c>"unroll": "batched"</c>): the CPU library or CUDA; default <paramref name="backend"/>.</param>
    /// <param name="pairRunner">Where the ES/PES pairs run when they do not run here (a cluster's workers): the trainer then plans and
    /// aggregates (<see cref="Distributed.PlannedEstimator"/>); needs keyed perturbations and per-slot unrolls.</param>
    public MetaTrainer(MetaTrainingConfig config, string outputDirectory, IBackend backend, IBackend? unrollBackend = null, Distributed.IPairRunner? pairRunner = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        config.Validate();
        Config = config;
        OutputDirectory = outputDirectory;
        _backend = backend ?? throw new ArgumentNullException(nameof(backend));
        Vector = new HrnnParameterVector(config.H1, config.H2);
        var sampler = new EnsembleSampler(config.Ensemble, config.MaxParameters);
        if (config.Unroll == MetaTrainingConfig.BatchedUnroll)
        {
            var onto = unrollBackend ?? backend;
            (sampler, LeftOutEntries) = BatchedUnrollEnvironment.Restrict(sampler, onto);
            _env = new BatchedUnrollEnvironment(config, sampler, Vector, onto);
        }
        else _env = new PerSlotUnrollEnvironment(config, sampler, Vector, backend);
        if (pairRunner != null && config.Unroll != MetaTrainingConfig.PerSlotUnroll)
            throw new ArgumentException($"unroll = {config.Unroll}: pairs run elsewhere need per-slot unrolls.", nameof(config));
        _estimator = pairRunner != null ? new Distributed.PlannedEstimator(config, new Distributed.EpisodePlanner(config, sampler), pairRunner, Vector.Length) : config.Estimator switch
        {
            "pes" => new PesEstimator(_env, config.Sigma, config.Seed, config.EffectiveThreads, config.Perturbations),
            "es" => new EsEstimator(_env, config.Sigma, config.Seed, config.EffectiveThreads, config.Perturbations),
            // TBPTT unrolls per slot; on a CUDA unroll backend its per-coordinate forward and adjoint run there.
            "tbptt" => new TbpttEstimator((PerSlotUnrollEnvironment)_env, Vector, config.EffectiveThreads,
                _tbpttEngine = unrollBackend?.Kernels.CoordinateEngine()),
            _ => throw new ArgumentException($"Unknown estimator '{config.Estimator}'.", nameof(config)),
        };
        _metaOptimizer = MetaOptimizer.Create(config.MetaOptimizer, Vector.Length, config.MetaLearningRate);
        _validation = new ValidationSet(sampler, config.Seed, config.ValidationProblems, config.ValidationSteps, config.MaxPointLoss,
                                        config.ValidationNetworkProblems, config.ValidationNetworkSteps, config.ValidationProbe);
        _checkpoints = new CheckpointStore(Path.Combine(outputDirectory, "checkpoints"), config.KeepCheckpoints);
        Phi = Vector.Flatten(InitialWeights(config));
        TrainingProblems = sampler.Entries.Count;
    }

    /// <summary>φ at iteration 0: the initWeights file (warm start) or the initialisation of docs/hrnn.md with initSeed.</summary>
    private static HrnnWeights InitialWeights(MetaTrainingConfig config)
    {
        if (config.InitWeights is not { } path) return HrnnWeightInit.Create(config.InitSeed, config.H1, config.H2);
        if (!File.Exists(path)) throw new ArgumentException($"initWeights = '{path}': the file does not exist.", nameof(config));
        var w = HrnnWeights.Load(path);
        if (w.H1 != config.H1 || w.H2 != config.H2)
            throw new ArgumentException($"initWeights = '{path}': the file has H1/H2 = {w.H1}/{w.H2}, the config {config.H1}/{config.H2}.", nameof(config));
        return w;
    }

    public MetaTrainingConfig Config { get; }
    public string OutputDirectory { get; }
    public HrnnParameterVector Vector { get; }
    public float[] Phi { get; }
    public long Iteration { get; private set; }
    public int TrainingProblems { get; }
    public double BestValidation => _bestScore;

    /// <summary>The extremes of the last validation (null before the first or without validation).</summary>
    public ValidationDiagnostics? LastDiagnostics { get; private set; }

    /// <summary>Episodes ended early by a blow-up (per-slot unrolls with a reset rule; 0 otherwise).</summary>
    public long EpisodesReset => _estimator is Distributed.PlannedEstimator p ? p.EpisodesReset : _env is PerSlotUnrollEnvironment e ? e.EpisodesReset : 0;

    /// <summary>The estimator (a planned one reports replays and lost slots).</summary>
    public IMetaGradientEstimator Estimator => _estimator;

    /// <summary>Trajectory steps unrolled so far (an antithetic pair counts two).</summary>
    public long InnerSteps => _innerSteps;

    /// <summary>Ensemble entries left out of a batched run because they have no batched problem on its backend (empty otherwise).</summary>
    public IReadOnlyList<string> LeftOutEntries { get; } = [];

    /// <summary>Called after every meta-iteration (progress display).</summary>
    public Action<MetaIterationReport>? OnIteration { get; set; }

    /// <summary>Messages: checkpoints written, rejected, resumed from.</summary>
    public Action<string>? Log { get; set; }

    public HrnnWeights Weights => Vector.ToWeights(Phi);

    /// <summary>
    /// Loads the newest checkpoint that verifies (older ones are tried when a newer one is corrupt,
    /// truncated or inconsistent) and cuts metrics.jsonl back to it. False when none is usable.
    /// </summary>
    public bool Resume()
    {
        foreach (var it in _checkpoints.Iterations())
        {
            try
            {
                var loaded = CheckpointStore.Load(_checkpoints.PathFor(it));
                // Only metaIterations may differ: a finished run can be extended.
                if (!loaded.Metadata.TryGetValue("config", out var cfg) ||
                    MetaTrainingConfig.FromJson(cfg, loaded.Path) with { MetaIterations = Config.MetaIterations } != Config)
                    throw new InvalidDataException($"checkpoint {loaded.Path} rejected: it was written with another config than {ConfigFile}.");
                Apply(loaded.State);
                Iteration = loaded.Iteration;
                TrimMetrics(Iteration);
                Log?.Invoke($"resumed from {loaded.Path} (meta-iteration {Iteration})");
                return true;
            }
            catch (InvalidDataException e)
            {
                Log?.Invoke(e.Message);
            }
        }
        return false;
    }

    /// <summary>Runs until <c>metaIterations</c> (or cancellation, after a completed iteration).</summary>
    public void Run(CancellationToken cancel = default)
    {
        Directory.CreateDirectory(OutputDirectory);
        var metricsPath = Path.Combine(OutputDirectory, MetricsFile);
        if (Iteration == 0)
        {
            File.WriteAllText(metricsPath, "");
            double v0 = Validate();
            AppendMetric(metricsPath, new MetaIterationReport(0, Config.MetaIterations, double.NaN, double.NaN, 0, double.NaN, 0, v0, LastDiagnostics is not { Eligible: false }) { Diagnostics = LastDiagnostics });
        }
        if (_estimator is Distributed.PlannedEstimator planned) planned.Cancel = cancel;
        var clock = Stopwatch.StartNew();
        long stepsAtStart = _innerSteps;
        while (Iteration < Config.MetaIterations && !cancel.IsCancellationRequested)
        {
            var est = _estimator.Estimate(Phi);
            var g = est.Gradient;
            double norm = GradientHygiene.Apply(g, Config.ClipValue, Config.ClipGlobalNorm);
            _metaOptimizer.Step(Phi, g);
            _innerSteps += est.InnerSteps;
            Iteration++;

            double? validation = null;
            bool best = false;
            if (Iteration % Config.ValidateEvery == 0 || Iteration == Config.MetaIterations)
            {
                double before = _bestScore;
                validation = Validate();
                best = _bestScore < before;
            }
            double elapsed = clock.Elapsed.TotalSeconds;
            var report = new MetaIterationReport(Iteration, Config.MetaIterations, est.MetaLoss, norm, _innerSteps,
                (_innerSteps - stepsAtStart) / Math.Max(elapsed, 1e-9), elapsed, validation, best)
            { Diagnostics = validation.HasValue ? LastDiagnostics : null, EpisodesReset = EpisodesReset };
            AppendMetric(metricsPath, report);
            if (Iteration % Config.CheckpointEvery == 0 || Iteration == Config.MetaIterations) Checkpoint();
            OnIteration?.Invoke(report);
        }
        SafeTensorsFile.Write(Path.Combine(OutputDirectory, FinalWeightsFile), Weights.ToTensors(), Metadata(Iteration));
        if (!File.Exists(Path.Combine(OutputDirectory, BestWeightsFile)))
            SafeTensorsFile.Write(Path.Combine(OutputDirectory, BestWeightsFile), Weights.ToTensors(), Metadata(Iteration));
    }

    /// <summary>
    /// Validation score of the current φ; writes best.safetensors when it is the best so far and
    /// eligible (it passed the dying-gradient probe, when that runs).
    /// </summary>
    public double Validate()
    {
        if (_validation.Count == 0 && !Config.ValidationProbe) return double.NaN;
        var (score, diagnostics) = _validation.Evaluate(_backend, Weights, Config.EffectiveThreads);
        LastDiagnostics = diagnostics;
        if (score < _bestScore && (diagnostics?.Eligible ?? true))
        {
            _bestScore = score;
            _bestIteration = Iteration;
            var meta = new Dictionary<string, string>(Metadata(Iteration)) { ["validation"] = score.ToString("R", CultureInfo.InvariantCulture) };
            SafeTensorsFile.Write(Path.Combine(OutputDirectory, BestWeightsFile), Weights.ToTensors(), meta);
        }
        return score;
    }

    public string Checkpoint()
    {
        var bag = new StateBag();
        bag.SetFloats("phi", Phi);
        _metaOptimizer.Save(bag, "meta/");
        _estimator.Save(bag, "estimator/");
        _env.Save(bag, "environment/");
        bag.SetLongs("loop/counters", [_innerSteps, _bestIteration]);
        bag.SetDoubles("loop/best", [_bestScore]);
        var path = _checkpoints.Save(Iteration, bag, new Dictionary<string, string> { ["config"] = Config.ToJson(), ["estimator"] = _estimator.Name });
        Log?.Invoke($"checkpoint {path}");
        return path;
    }

    private void Apply(StateBag bag)
    {
        var phi = bag.GetFloats("phi", Phi.Length);
        int bad = Array.FindIndex(phi, v => !float.IsFinite(v));
        if (bad >= 0) throw new InvalidDataException($"{bag.Source}: phi holds a non-finite value at index {bad}.");
        _metaOptimizer.Load(bag, "meta/");
        _estimator.Load(bag, "estimator/");
        _env.Load(bag, "environment/");
        var counters = bag.GetLongs("loop/counters", 2);
        (_innerSteps, _bestIteration) = (counters[0], counters[1]);
        _bestScore = bag.GetDoubles("loop/best", 1)[0];
        phi.CopyTo(Phi, 0);
    }

    private IReadOnlyDictionary<string, string> Metadata(long iteration) => new Dictionary<string, string>(HrnnWeights.FileMetadata)
    {
        ["meta_iteration"] = iteration.ToString(CultureInfo.InvariantCulture),
        ["estimator"] = Config.Estimator,
        ["seed"] = Config.Seed.ToString(CultureInfo.InvariantCulture),
    };

    private static void AppendMetric(string path, MetaIterationReport r)
    {
        using var s = new MemoryStream();
        using (var w = new Utf8JsonWriter(s))
        {
            w.WriteStartObject();
            w.WriteNumber("iteration", r.Iteration);
            Num(w, "metaLoss", r.MetaLoss);
            Num(w, "gradNorm", r.GradientNorm);
            w.WriteNumber("innerSteps", r.InnerSteps);
            Num(w, "innerStepsPerSecond", r.InnerStepsPerSecond);
            Num(w, "elapsedSeconds", r.ElapsedSeconds);
            if (r.Validation is { } v) { Num(w, "validation", v); w.WriteBoolean("best", r.IsBest); }
            if (r.EpisodesReset > 0) w.WriteNumber("episodesReset", r.EpisodesReset);
            if (r.Diagnostics is { } d)
            {
                Num(w, "maxLogLr", d.MaxLogLr);
                Num(w, "minLogLr", d.MinLogLr);
                Num(w, "logLrClipFraction", d.ClipFraction);
                Num(w, "maxNormRatio", d.MaxNormRatio);
                if (d.Probe is { } p)
                {
                    w.WriteBoolean("probePassed", p.Passed);
                    Num(w, "probeMaxLogLrRise", p.MaxLogLrRise);
                    Num(w, "probeMaxDeadTheta", p.MaxDeadTheta);
                }
            }
            w.WriteEndObject();
        }
        File.AppendAllText(path, System.Text.Encoding.UTF8.GetString(s.ToArray()) + "\n");
    }

    private static void Num(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    // Lines after the checkpoint's iteration were written by the interrupted run; the resumed run writes them again.
    private void TrimMetrics(long iteration)
    {
        var path = Path.Combine(OutputDirectory, MetricsFile);
        if (!File.Exists(path)) return;
        var keep = File.ReadAllLines(path).Where(line =>
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                return doc.RootElement.GetProperty("iteration").GetInt64() <= iteration;
            }
            catch (JsonException)
            {
                return false; // a line cut by the kill
            }
        });
        File.WriteAllLines(path, keep);
    }

    /// <summary>Reads metrics.jsonl back: (iteration, meta-loss, validation) per line.</summary>
    public static IReadOnlyList<(long Iteration, double MetaLoss, double Validation)> ReadMetrics(string path)
    {
        var list = new List<(long, double, double)>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            double Get(string n) => r.TryGetProperty(n, out var e) && e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.NaN;
            list.Add((r.GetProperty("iteration").GetInt64(), Get("metaLoss"), Get("validation")));
        }
        return list;
    }

    /// <summary>Releases device memory the trainer owns (the CUDA TBPTT engine); call before disposing the backends.</summary>
    public void Dispose() => _tbpttEngine?.Dispose();
}
