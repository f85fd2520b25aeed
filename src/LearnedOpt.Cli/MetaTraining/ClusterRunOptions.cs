using System.CommandLine;
using LearnedOpt.MetaTraining;

namespace LearnedOpt.Cli.MetaTraining;

/// <summary>
/// The cluster flags of <c>lopt meta-train</c>. They never change results (a cluster run equals the
/// one-process keyed run), so a run may resume with other machines.
/// </summary>
public sealed class ClusterRunOptions
{
    public Option<bool> Cluster { get; } = new("--cluster") { Description = "Run the ES/PES pairs on worker silos (Orleans); needs \"perturbations\": \"keyed\"." };
    public Option<string?> Listen { get; } = new("--listen") { Description = "HOST:PORT the coordinator listens on (default: a free localhost port)." };
    public Option<int> Workers { get; } = new("--workers") { Description = "Local worker processes to start (one machine).", DefaultValueFactory = _ => 0 };
    public Option<int> MinWorkers { get; } = new("--min-workers") { Description = "Workers to wait for before the first iteration.", DefaultValueFactory = _ => 1 };
    public Option<double> WorkerTimeout { get; } = new("--worker-timeout") { Description = "Seconds to wait for --min-workers before failing.", DefaultValueFactory = _ => 120 };
    public Option<double> CallTimeout { get; } = new("--call-timeout") { Description = "Seconds a group call may take before it is re-sent (catches hung workers).", DefaultValueFactory = _ => 600 };

    public IEnumerable<Option> All => [Cluster, Listen, Workers, MinWorkers, WorkerTimeout, CallTimeout];

    /// <summary>The session of a --cluster run (null without --cluster).</summary>
    public ClusterSession? Start(ParseResult parse, MetaTrainingConfig config, string outputDirectory)
    {
        if (!parse.GetValue(Cluster))
        {
            if (parse.GetValue(Listen) != null || parse.GetValue(Workers) != 0)
                throw new CliError("--listen and --workers need --cluster.");
            return null;
        }
        if (config.Perturbations != LearnedOpt.MetaTraining.Estimators.PerturbationStream.Keyed)
            throw new CliError($"--cluster: the config has \"perturbations\": \"{config.Perturbations}\"; a cluster run needs \"keyed\" (workers regenerate each perturbation from seed, iteration and slot).");
        if (config.Estimator == "tbptt" || config.Unroll != MetaTrainingConfig.PerSlotUnroll)
            throw new CliError($"--cluster: runs es or pes with per-slot unrolls (the config has estimator {config.Estimator}, unroll {config.Unroll}).");
        int workers = parse.GetValue(Workers), min = parse.GetValue(MinWorkers);
        if (workers < 0) throw new CliError($"--workers {workers}: must be >= 0.");
        if (min < 1) throw new CliError($"--min-workers {min}: must be >= 1.");
        double callTimeout = parse.GetValue(CallTimeout), workerTimeout = parse.GetValue(WorkerTimeout);
        if (!(callTimeout > 0)) throw new CliError($"--call-timeout {callTimeout}: must be > 0 seconds.");
        if (!(workerTimeout > 0)) throw new CliError($"--worker-timeout {workerTimeout}: must be > 0 seconds.");
        // Local workers share this machine's cores.
        int threads = workers > 0 ? Math.Max(1, config.EffectiveThreads / workers) : 0;
        string runId = $"{Path.GetFileName(Path.GetFullPath(outputDirectory).TrimEnd('/'))}-{Environment.ProcessId}";
        return ClusterSession.Start(config, runId, parse.GetValue(Listen), workers, min, threads,
                                    TimeSpan.FromSeconds(callTimeout), TimeSpan.FromSeconds(workerTimeout));
    }
}
