using System.Text.Json;
using LearnedOpt.Backends;
using LearnedOpt.MetaTraining;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.MetaTraining;

/// <summary>The networks levers end to end: config keys, a small run, resume, the metrics it writes.</summary>
[Trait("tier", "cpu")]
public class NetworksMetaTrainingTests
{
    /// <summary>The networks ensemble cut to ≤ 120 parameters (synthetic entries and dying-gradient quadratics), every lever on.</summary>
    private static MetaTrainingConfig Levers(int iterations) => SmallConfigs.Tiny(iterations) with
    {
        Ensemble = SyntheticCatalog.NetworksVariant,
        MaxParameters = 120,
        GrowthPenaltyWeight = 1, GrowthPenaltyFreeFactor = 30, ResetNormRatio = 1000, ResetOnNonFiniteLoss = true,
        ParameterScaleMax = 100,
        ValidationProblems = 2, ValidationSteps = 20, ValidateEvery = 3,
        ValidationNetworkProblems = 1, ValidationNetworkSteps = 10, ValidationProbe = true,
    };

    [Theory]
    [InlineData("{ \"growthPenaltyWeight\": -1 }", "growthPenaltyWeight", "-1")]
    [InlineData("{ \"growthPenaltyFreeFactor\": 0.5 }", "growthPenaltyFreeFactor", "0.5")]
    [InlineData("{ \"resetNormRatio\": 0.9 }", "resetNormRatio", "0.9")]
    [InlineData("{ \"parameterScaleMax\": 0.1 }", "parameterScaleMax", "0.1")]
    [InlineData("{ \"validationNetworkProblems\": -2 }", "validationNetworkProblems", "-2")]
    [InlineData("{ \"validationNetworkSteps\": 0 }", "validationNetworkSteps", "0")]
    [InlineData("{ \"estimator\": \"tbptt\", \"growthPenaltyWeight\": 1 }", "growthPenaltyWeight", "1")]
    [InlineData("{ \"estimator\": \"tbptt\", \"resetOnNonFiniteLoss\": true }", "resetOnNonFiniteLoss", "True")]
    [InlineData("{ \"unroll\": \"batched\", \"resetNormRatio\": 1000 }", "resetNormRatio", "1000")]
    [InlineData("{ \"unroll\": \"batched\", \"parameterScaleMax\": 10 }", "parameterScaleMax", "10")]
    [InlineData("{ \"estimator\": \"tbptt\", \"ensemble\": \"networks\" }", "ensemble", "networks")]
    public void BadValuesNameTheKeyAndValue(string json, string key, string value)
    {
        var e = Assert.Throws<ArgumentException>(() => MetaTrainingConfig.FromJson(json, "c.json"));
        Assert.Contains($"{key} = {value}", e.Message);
        Assert.Contains("c.json", e.Message);
    }

    [Fact]
    public void DefaultsLeaveEveryLeverOff()
    {
        var d = MetaTrainingConfig.Default;
        Assert.False(d.ControlsGrowth);
        Assert.Equal(1, d.ParameterScaleMax);
        Assert.Equal(0, d.ValidationNetworkProblems);
        Assert.False(d.ValidationProbe);
        Assert.Null(ParameterGrowth.FromConfig(d));
    }

    [Fact]
    public void TheShippedNetworksConfigLoads()
    {
        var c = MetaTrainingConfig.Load(ParameterGrowthTests.RepoFile("configs/meta-train-networks.json"));
        Assert.Equal(SyntheticCatalog.NetworksVariant, c.Ensemble);
        Assert.True(c.GrowthPenaltyWeight > 0 && c.ResetNormRatio > 0 && c.ValidationProbe);
        Assert.True(c.ValidationNetworkSteps >= 1000);
    }

    [Fact]
    public void RunLogsExtremesAndTheProbeAndResumesBitIdentically()
    {
        using var dir = new TempDir();
        using var backend = new CpuBackend();
        var cfg = Levers(6);
        var full = new MetaTrainer(cfg, dir.File("full"), backend);
        full.Run(TestContext.Current.CancellationToken);

        var lines = File.ReadAllLines(Path.Combine(dir.File("full"), MetaTrainer.MetricsFile)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var validated = lines.Where(l => l.TryGetProperty("validation", out _)).ToList();
        Assert.Equal(3, validated.Count); // iterations 0, 3 and 6
        foreach (var v in validated)
        {
            double max = v.GetProperty("maxLogLr").GetDouble(), min = v.GetProperty("minLogLr").GetDouble();
            Assert.InRange(min, -33, max);
            Assert.InRange(max, min, 33);
            Assert.InRange(v.GetProperty("logLrClipFraction").GetDouble(), 0, 1);
            Assert.True(v.GetProperty("maxNormRatio").GetDouble() > 0);
            Assert.Contains(v.GetProperty("probePassed").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
            Assert.True(v.TryGetProperty("probeMaxLogLrRise", out _));
            // A φ that fails the probe is never marked best.
            if (!v.GetProperty("probePassed").GetBoolean()) Assert.False(v.GetProperty("best").GetBoolean());
        }

        var cut = new MetaTrainer(cfg with { MetaIterations = 3 }, dir.File("cut"), backend);
        cut.Run(TestContext.Current.CancellationToken);
        var resumed = new MetaTrainer(cfg, dir.File("cut"), backend);
        Assert.True(resumed.Resume());
        resumed.Run(TestContext.Current.CancellationToken);
        Assert.Equal(full.Phi, resumed.Phi);
    }

    [Fact]
    public void ValidationWithNetworksRunsThemAtTheirOwnHorizon()
    {
        var sampler = new EnsembleSampler(SyntheticCatalog.DefaultVariant, 64);
        var plain = new ValidationSet(sampler, 3, 4, 50, 5);
        var withNets = new ValidationSet(sampler, 3, 4, 50, 5, networkProblems: 2, networkSteps: 1000, probe: false);
        // The synthetic problems are the same ones; the network problems come after, with their horizon.
        Assert.Equal(plain.Problems, withNets.Problems.Take(4));
        Assert.Equal([1000, 1000], withNets.Problems.Skip(4).Select(p => p.Steps));
        Assert.All(withNets.Problems.Skip(4), p => Assert.Contains(p.Name, NetworksEnsemble.Entries.Where(e => e.IsNetwork).Select(e => e.Name)));
    }
}
