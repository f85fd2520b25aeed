using LearnedOpt.Backends;
using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Estimators;

namespace LearnedOpt.Tests.MetaTraining;

[Trait("tier", "cpu")]
public class MetaTrainingProgressTests
{
    /// <summary>
    /// The meta-training loop (estimator, gradient hygiene, meta-optimizer, as MetaTrainer composes them)
    /// on a toy with a known optimum: ℓ(φ) = ½‖φ − c‖² at every step. Antithetic ES and PES estimate its
    /// gradient φ − c without bias, with noise that shrinks with ‖φ − c‖, so Adam walks φ to c; the
    /// distance falls by far more than the factor asked here.
    /// </summary>
    [Theory]
    [InlineData("pes")]
    [InlineData("es")]
    public void TheLoopReachesTheKnownOptimumOfAToy(string estimator)
    {
        float[] c = [0.3f, -1.2f, 2.0f];
        float[] phi = [1.0f, 0.5f, -0.5f];
        var env = new ToyEnvironment(32, 3, () => [0f], (_, _) => { },
            (_, f) => 0.5 * f.Select((v, i) => (double)(v - c[i]) * (v - c[i])).Sum(), truncation: 5, episode: null);
        var cfg = MetaTrainingConfig.Default;
        IMetaGradientEstimator est = estimator == "pes" ? new PesEstimator(env, 0.05, seed: 11, threads: 2) : new EsEstimator(env, 0.05, seed: 11, threads: 2);
        var meta = MetaOptimizer.Create(cfg.MetaOptimizer, phi.Length, learningRate: 0.05);
        double Distance() => Math.Sqrt(phi.Select((v, i) => (double)(v - c[i]) * (v - c[i])).Sum());
        double start = Distance();
        for (int it = 0; it < 200; it++)
        {
            var g = est.Estimate(phi).Gradient;
            GradientHygiene.Apply(g, cfg.ClipValue, cfg.ClipGlobalNorm);
            meta.Step(phi, g);
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"{estimator}: ‖φ − c‖ {start} → {Distance()}");
        Assert.True(Distance() < 0.05 * start, $"{estimator}: ‖φ − c‖ {start} → {Distance()}");
    }

    /// <summary>
    /// A short real run (HRNN on the default ensemble): the validation numbers it reports are the
    /// validation objective of its weights (recomputed from the written files by fresh trainers), and the
    /// one after training is lower than the one before.
    /// </summary>
    [Theory]
    [InlineData("pes")]
    [InlineData("es")]
    public void AShortRunLowersTheValidationMetaObjective(string estimator)
    {
        using var dir = new TempDir();
        using var backend = new CpuBackend();
        var cfg = SmallConfigs.Tiny(100) with
        {
            Estimator = estimator, Slots = 16, MaxParameters = 64, ValidationProblems = 12, ValidationSteps = 100, ValidateEvery = 100, CheckpointEvery = 100,
            EpisodeMinSteps = 60, EpisodeMaxSteps = 120, TruncationMinSteps = 10, TruncationMaxSteps = 30,
        };
        var trainer = new MetaTrainer(cfg, dir.Path, backend);
        trainer.Run(TestContext.Current.CancellationToken);
        var rows = MetaTrainer.ReadMetrics(Path.Combine(dir.Path, MetaTrainer.MetricsFile));
        double before = rows.First(r => r.Iteration == 0).Validation;
        double after = rows.First(r => r.Iteration == 100).Validation;
        AssertReportedValidation(cfg, backend, before, after, dir.File(MetaTrainer.FinalWeightsFile));
        Assert.True(after < before, $"{estimator}: validation {before} → {after}");
        Assert.True(File.Exists(Path.Combine(dir.Path, MetaTrainer.BestWeightsFile)));
    }

    /// <summary>The reported validations equal fresh evaluations of the initial weights and of <paramref name="finalWeights"/>.</summary>
    internal static void AssertReportedValidation(MetaTrainingConfig cfg, IBackend backend, double before, double after, string finalWeights)
    {
        using var again = new TempDir();
        Assert.Equal(before, new MetaTrainer(cfg, again.File("initial"), backend).Validate());
        Assert.Equal(after, new MetaTrainer(cfg with { InitWeights = finalWeights }, again.File("final"), backend).Validate());
    }
}
