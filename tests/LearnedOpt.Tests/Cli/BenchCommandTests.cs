using System.Text.Json;

namespace LearnedOpt.Tests.Cli;

/// <summary>The bench command's machine-readable output (speed itself is never asserted).</summary>
[Collection(CliCollection.Name)]
[Trait("tier", "cpu")]
public sealed class BenchCommandTests
{
    [Theory]
    [InlineData("adam", 28.0)]
    [InlineData("sgd", 12.0)]
    [InlineData("hrnn", 192.0)]
    public void JsonHasOneObjectPerSizeWithTheDocumentedKeys(string optimizer, double bytes)
    {
        var (exit, output, err) = CliRunner.Run("bench", "--optimizer", optimizer, "--sizes", "1000,4099", "--seconds", "0.01", "--backend", "cpu", "--json");
        Assert.True(exit == 0, err);
        var lines = output.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        var sizes = new List<long>();
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var o = doc.RootElement;
            Assert.Equal(optimizer, o.GetProperty("optimizer").GetString());
            Assert.Equal("cpu", o.GetProperty("backend").GetString());
            sizes.Add(o.GetProperty("size").GetInt64());
            Assert.True(o.GetProperty("ns_per_param").GetDouble() > 0);
            Assert.True(o.GetProperty("copy_gbps").GetDouble() > 0);
            Assert.Equal(bytes, o.GetProperty("bytes_per_param").GetDouble());
            // GB/s is bytes per parameter over ns per parameter, by definition.
            Assert.Equal(bytes / o.GetProperty("ns_per_param").GetDouble(), o.GetProperty("gbps").GetDouble(), 6);
        }
        Assert.Equal([1000L, 4099L], sizes);
    }

    [Theory]
    [InlineData("--sizes", "0")]
    [InlineData("--sizes", "1e6,abc")]
    [InlineData("--optimizer", "nope")]
    [InlineData("--seconds", "-1")]
    public void BadInputIsAOneLineError(string flag, string value)
    {
        var (exit, _, err) = CliRunner.Run("bench", "--backend", "cpu", "--sizes", "100", flag, value);
        Assert.Equal(2, exit);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void TaskSuiteReportsPositiveThroughputPerBatch()
    {
        var (exit, output, err) = CliRunner.Run("bench", "--suite", "tasks", "--backend", "cpu", "--json");
        Assert.True(exit == 0, err);
        var lines = output.Trim().Split('\n');
        Assert.True(lines.Length >= 2);
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            Assert.True(doc.RootElement.GetProperty("instance_params_per_s").GetDouble() > 0);
        }
    }

    [Fact]
    public void MetaSuiteReportsRatesAndATimeSplitThatAddsUp()
    {
        var (exit, output, err) = CliRunner.Run("bench", "--suite", "meta", "--estimators", "es,pes", "--iterations", "1", "--backend", "cpu", "--json");
        Assert.True(exit == 0, err);
        var lines = output.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var o = doc.RootElement;
            double inner = o.GetProperty("inner_steps_per_s").GetDouble();
            Assert.True(inner > 0);
            // An antithetic pair unrolls each problem step twice.
            Assert.Equal(inner / 2, o.GetProperty("problem_steps_per_s").GetDouble(), inner * 1e-9 + 1);
            double opt = o.GetProperty("share_optimizer_step").GetDouble(), task = o.GetProperty("share_task").GetDouble();
            Assert.True(opt > 0 && task > 0, line);
            Assert.Equal(1.0, opt + task + o.GetProperty("share_backward").GetDouble(), 9);
            Assert.Equal(0.0, o.GetProperty("share_backward").GetDouble());
        }
    }

    [Fact]
    public void MetaSuiteRejectsAnUnknownEstimator()
    {
        var (exit, _, err) = CliRunner.Run("bench", "--suite", "meta", "--estimators", "sgd", "--backend", "cpu");
        Assert.Equal(2, exit);
        Assert.Contains("sgd", err);
    }

    [Fact]
    public void MetaSuiteTimesABatchedConfigWithoutTbptt()
    {
        string config = Path.Combine(Path.GetTempPath(), $"lopt-bench-batched-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, LearnedOpt.MetaTraining.MetaTrainingConfig.Default with { Unroll = "batched", Slots = 4 } is var c ? c.ToJson() : "");
        try
        {
            var (exit, output, err) = CliRunner.Run("bench", "--suite", "meta", "--config", config, "--iterations", "1", "--backend", "cpu", "--json");
            Assert.True(exit == 0, err);
            var lines = output.Trim().Split('\n');
            Assert.Equal(["es", "pes"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("estimator").GetString()));
            Assert.All(lines, l => Assert.Equal("batched", JsonDocument.Parse(l).RootElement.GetProperty("unroll").GetString()));
            var (exit2, _, err2) = CliRunner.Run("bench", "--suite", "meta", "--config", config, "--estimators", "tbptt", "--backend", "cpu");
            Assert.Equal(2, exit2);
            Assert.Contains("tbptt", err2);
        }
        finally
        {
            File.Delete(config);
        }
    }
}
