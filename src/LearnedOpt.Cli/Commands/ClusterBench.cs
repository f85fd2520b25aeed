using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LearnedOpt.Cli.MetaTraining;
using LearnedOpt.Cluster;
using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Distributed;
using LearnedOpt.MetaTraining.Estimators;
using LearnedOpt.Optimizers.Hrnn;
using Microsoft.Extensions.DependencyInjection;

namespace LearnedOpt.Cli.Commands;

/// <summary>
/// lopt bench --suite meta --cluster: PES meta-iterations with the pairs in this process and on W
/// local worker processes; inner steps per second, bytes per iteration, and the round trip of an
/// empty group call (the per-call cost of the cluster, without unrolls).
/// </summary>
internal static class ClusterBench
{
    public static void Run(string? configPath, string workerList, int iterations, bool asJson)
    {
        if (iterations < 1) throw new CliError($"--iterations {iterations} must be >= 1.");
        var counts = workerList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(w => int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 ? n : throw new CliError($"--workers: '{w}' is not a worker count >= 1.")).ToArray();
        var config = (configPath is { } p ? MetaTrainingConfig.Load(p) : MetaTrainingConfig.Default) with
        {
            Estimator = "pes", Perturbations = PerturbationStream.Keyed, Unroll = MetaTrainingConfig.PerSlotUnroll,
        };
        config.Validate("--config");
        if (!asJson)
            Console.WriteLine($"{"workers",7} {"inner-steps/s",13} {"iter/s",7} {"efficiency",10} {"down B/iter",11} {"up B/iter",9} {"phi B/iter",10} {"call µs",8}");
        using var backend = LearnedOpt.Backends.BackendSelector.CreateCpu(threads: 1);
        var sampler = new EnsembleSampler(config.Ensemble, config.MaxParameters);
        var local = new LocalPairRunner(config, new EpisodeExecutor(config, sampler, new HrnnParameterVector(config.H1, config.H2), backend));
        double baseline = Report(0, Measure(config, local, iterations), 0, 0, 0, double.NaN, 1, asJson);
        foreach (int w in counts)
        {
            using var session = ClusterSession.Start(config, $"bench-{w}-{Environment.ProcessId}", null, w, w,
                                                     Math.Max(1, config.EffectiveThreads / w), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(2));
            var runner = session.Runner;
            var rate = Measure(config, runner, iterations, warmUp: () => (runner.BytesDown, runner.BytesUp));
            double phiBytes = 4.0 * new HrnnParameterVector(config.H1, config.H2).Length * w;
            Report(w, rate, rate.Down, rate.Up, phiBytes, EmptyCallMicroseconds(session), baseline, asJson);
        }
    }

    private sealed record Rate(double InnerStepsPerSecond, double IterationsPerSecond, double Down, double Up);

    private static Rate Measure(MetaTrainingConfig config, IPairRunner runner, int iterations, Func<(long Down, long Up)>? warmUp = null)
    {
        var vector = new HrnnParameterVector(config.H1, config.H2);
        var phi = vector.Flatten(HrnnWeightInit.Create(config.InitSeed, config.H1, config.H2));
        var sampler = new EnsembleSampler(config.Ensemble, config.MaxParameters);
        var estimator = new PlannedEstimator(config, new EpisodePlanner(config, sampler), runner, vector.Length);
        estimator.Estimate(phi); // warm-up: workers fetch φ, JIT, first episodes
        var (down0, up0) = warmUp?.Invoke() ?? (0, 0);
        long steps = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) steps += estimator.Estimate(phi).InnerSteps;
        double s = clock.Elapsed.TotalSeconds;
        var (down1, up1) = warmUp?.Invoke() ?? (0, 0);
        return new Rate(steps / s, iterations / s, (down1 - down0) / (double)iterations, (up1 - up0) / (double)iterations);
    }

    // The median round trip of a group call with no slots, from the coordinator through the run grain to a worker.
    private static double EmptyCallMicroseconds(ClusterSession session)
    {
        var grains = session.Services.GetRequiredService<IGrainFactory>();
        var call = new GroupCall(ClusterProtocol.Current, session.Runner.RunId, 0, MetaTrainingConfig.Default.ToJson(), WorkCodec.Encode(new GroupWork(long.MaxValue, [])));
        var run = grains.GetGrain<IRunGrain>(session.Runner.RunId);
        var times = new List<double>();
        for (int i = 0; i < 60; i++)
        {
            var clock = Stopwatch.StartNew();
            run.RunGroups([call with { Group = 1000 + i % 4 }], 1).GetAwaiter().GetResult();
            if (i >= 10) times.Add(clock.Elapsed.TotalMicroseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    private static double Report(int workers, Rate r, double down, double up, double phiBytes, double callMicroseconds, double baseline, bool asJson)
    {
        double efficiency = workers == 0 ? 1 : r.InnerStepsPerSecond / baseline;
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["workers"] = workers, ["inner_steps_per_s"] = r.InnerStepsPerSecond, ["iterations_per_s"] = r.IterationsPerSecond,
                ["relative_to_one_process"] = efficiency, ["down_bytes_per_iteration"] = down, ["up_bytes_per_iteration"] = up,
                ["phi_bytes_per_iteration"] = phiBytes, ["empty_call_us"] = double.IsFinite(callMicroseconds) ? callMicroseconds : 0,
            }));
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(workers == 0 ? "local" : workers.ToString(CultureInfo.InvariantCulture)),7} {r.InnerStepsPerSecond,13:F0} {r.IterationsPerSecond,7:F2} {efficiency,10:P0} {down,11:F0} {up,9:F0} {phiBytes,10:F0} {(double.IsFinite(callMicroseconds) ? callMicroseconds.ToString("F0", CultureInfo.InvariantCulture) : "-"),8}"));
        }
        return r.InnerStepsPerSecond;
    }
}
