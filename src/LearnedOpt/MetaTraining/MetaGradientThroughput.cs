using System.Diagnostics;
using LearnedOpt.Backends;

namespace LearnedOpt.MetaTraining;

/// <summary>One estimator's meta-gradient throughput and where its time goes.</summary>
/// <param name="InnerStepsPerSecond">Trajectory steps per second (an antithetic pair counts two).</param>
/// <param name="ProblemStepsPerSecond">Problems × unrolled steps per second covered by the meta-gradients (a pair counts once).</param>
/// <param name="Shares">Share of each phase (optimizer step, task, backward) in the three's total, summed over threads.</param>
public sealed record MetaGradientRate(
    string Estimator,
    string Backend,
    string Unroll,
    int Slots,
    int Iterations,
    double Seconds,
    double MetaGradientsPerSecond,
    double InnerStepsPerSecond,
    double ProblemStepsPerSecond,
    IReadOnlyDictionary<UnrollPhase, double> Shares);

/// <summary>
/// Benchmark of the meta-training loop (issue 6): a short run of the real <see cref="MetaTrainer"/>
/// from its configuration with validation and checkpoints out of the way, a
/// <see cref="PhaseTimer"/> installed. A first iteration warms up (JIT, kernel compilation) and
/// is not counted. Phase timing synchronizes a device backend at phase ends, which serialises it a
/// little: the rates are measured in the same run with the timer installed.
/// </summary>
public static class MetaGradientThroughput
{
    /// <summary>
    /// Times <paramref name="iterations"/> meta-iterations. Per-slot unrolls run on the CPU library,
    /// one thread per unroll (as lopt meta-train runs them); batched unrolls on <paramref name="backend"/>.
    /// </summary>
    public static MetaGradientRate Measure(IBackend backend, MetaTrainingConfig config, int iterations)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        bool batched = config.Unroll == MetaTrainingConfig.BatchedUnroll;
        if (!batched && config.Estimator != "tbptt" && backend.Kind != BackendKind.Cpu)
            throw new ArgumentException($"Per-slot ES/PES unrolls run on the CPU; timing them on {backend.Kind} needs \"unroll\": \"batched\" in the config.", nameof(config));
        string dir = Path.Combine(Path.GetTempPath(), $"lopt-meta-bench-{Guid.NewGuid():N}");
        try
        {
            var run = config with
            {
                MetaIterations = 1,
                ValidationProblems = 0,
                CheckpointEvery = int.MaxValue,
                ValidateEvery = int.MaxValue,
            };
            using var perSlot = batched ? null : BackendSelector.CreateCpu(threads: 1);
            using var trainer = new MetaTrainer(run, dir, perSlot ?? backend, backend);
            trainer.Run();                       // warm-up iteration
            trainer.Config.MetaIterations = 1 + iterations;  // the same trainer goes on for the timed iterations
            var timer = new PhaseTimer();
            long startInner = trainer.InnerSteps;
            var clock = Stopwatch.StartNew();
            using (PhaseTimer.Install(timer))
                trainer.Run();
            double seconds = clock.Elapsed.TotalSeconds;
            long innerSteps = trainer.InnerSteps - startInner;
            // ES/PES count both trajectories of a pair in InnerSteps; TBPTT one per slot.
            int perProblem = config.Estimator == "tbptt" ? 1 : 2;
            long problemSteps = innerSteps / perProblem;
            return new MetaGradientRate(config.Estimator, backend.Kind.ToString().ToLowerInvariant(), config.Unroll, config.Slots, iterations, seconds,
                iterations / seconds, innerSteps / seconds, problemSteps / seconds, timer.Shares());
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
