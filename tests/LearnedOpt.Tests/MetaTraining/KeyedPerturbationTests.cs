using LearnedOpt.Backends;
using LearnedOpt.MetaTraining;
using LearnedOpt.MetaTraining.Estimators;
using LearnedOpt.Randomness;

namespace LearnedOpt.Tests.MetaTraining;

[Trait("tier", "cpu")]
public class KeyedPerturbationTests
{
    [Fact]
    public void AKeyedPerturbationIsRegeneratedFromItsThreeIntegersInAnyOrder()
    {
        var stream = new PerturbationStream(PerturbationStream.Keyed, seed: 42, "pes");
        // Drawn out of order, then compared with a fresh regeneration per (iteration, slot).
        var drawn = new Dictionary<(long, int), float[]>();
        foreach (var (k, i) in new[] { (3L, 2), (1L, 0), (3L, 0), (2L, 5), (1L, 0) }) drawn[(k, i)] = stream.Draw(k, i, 50, 0.1);
        foreach (var ((k, i), eps) in drawn)
        {
            Assert.Equal(eps, PerturbationStream.KeyedDraw(42, "pes", k, i, 50, 0.1));
            // The definition, written out: the Gaussian stream of Rng(seed).Fork(estimator).Fork(k).Fork(i), times σ.
            var rng = new Rng(42).Fork("pes").Fork(k).Fork(i);
            Assert.Equal(Enumerable.Range(0, 50).Select(_ => (float)(0.1 * rng.NextGaussian())).ToArray(), eps);
        }
        Assert.NotEqual(drawn[(3, 2)], drawn[(3, 0)]);
        Assert.NotEqual(drawn[(1, 0)], drawn[(3, 0)]);
        Assert.NotEqual(drawn[(1, 0)], PerturbationStream.KeyedDraw(43, "pes", 1, 0, 50, 0.1));
        Assert.NotEqual(drawn[(1, 0)], PerturbationStream.KeyedDraw(42, "es", 1, 0, 50, 0.1));
    }

    [Fact]
    public void KeyedPerturbationsHaveTheRequestedScale()
    {
        var all = Enumerable.Range(1, 20).SelectMany(k => PerturbationStream.KeyedDraw(7, "es", k, k % 3, 1000, 0.5)).Select(v => (double)v).ToArray();
        double mean = all.Average(), std = Math.Sqrt(all.Select(v => (v - mean) * (v - mean)).Average());
        Assert.InRange(mean, -0.02, 0.02);     // 5 standard errors of the mean at n = 20000
        Assert.InRange(std, 0.49, 0.51);
    }

    [Fact]
    public void SequentialStreamReadsOneGeneratorInOrder()
    {
        var stream = new PerturbationStream(PerturbationStream.Sequential, seed: 9, "pes");
        var rng = new Rng(9).Fork("pes");
        Assert.Equal(Perturbation.Draw(rng, 10, 0.2), stream.Draw(5, 3, 10, 0.2));
        Assert.Equal(Perturbation.Draw(rng, 10, 0.2), stream.Draw(5, 3, 10, 0.2));
    }

    [Fact]
    public void AnUnknownModeIsRefusedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => new PerturbationStream("random", 1, "pes"));
        Assert.Contains("'random'", e.Message);
        var c = Assert.Throws<ArgumentException>(() => (SmallConfigs.Tiny(1) with { Perturbations = "shared" }).Validate());
        Assert.Contains("perturbations = shared", c.Message);
        Assert.Throws<ArgumentException>(() => (SmallConfigs.Tiny(1) with { Perturbations = "keyed", Estimator = "tbptt" }).Validate());
    }

    [Theory]
    [InlineData("pes")]
    [InlineData("es")]
    public void AOneProcessKeyedRunIsDeterministicAndResumesExactly(string estimator)
    {
        using var a = new TempDir();
        using var b = new TempDir();
        using var c = new TempDir();
        using var backend = new CpuBackend();
        var keyed = SmallConfigs.Tiny(10) with { Estimator = estimator, Perturbations = PerturbationStream.Keyed };
        var first = new MetaTrainer(keyed, a.Path, backend);
        first.Run(TestContext.Current.CancellationToken);
        var second = new MetaTrainer(keyed, b.Path, backend);
        second.Run(TestContext.Current.CancellationToken);
        Assert.Equal(File.ReadAllBytes(a.File(MetaTrainer.FinalWeightsFile)), File.ReadAllBytes(b.File(MetaTrainer.FinalWeightsFile)));

        // Stopped after 5 and resumed from the checkpoint (which carries the iteration k of the keys).
        new MetaTrainer(keyed with { MetaIterations = 5 }, c.Path, backend).Run(TestContext.Current.CancellationToken);
        var resumed = new MetaTrainer(keyed, c.Path, backend);
        Assert.True(resumed.Resume());
        resumed.Run(TestContext.Current.CancellationToken);
        Assert.Equal(first.Phi, resumed.Phi);

        // The mode matters: the sequential run draws other perturbations.
        using var d = new TempDir();
        var sequential = new MetaTrainer(keyed with { Perturbations = PerturbationStream.Sequential }, d.Path, backend);
        sequential.Run(TestContext.Current.CancellationToken);
        Assert.NotEqual(first.Phi, sequential.Phi);
    }
}
