using System.Text.Json;
using LearnedOpt.Cli.MetaTraining;
using LearnedOpt.MetaTraining.Evaluation;

namespace LearnedOpt.Tests.Cli;

[Collection(CliCollection.Name)]
[Trait("tier", "cpu")]
public sealed class EvalCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lopt-eval").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Weights()
    {
        var path = Path.Combine(_dir, "w.safetensors");
        var (exit, output, err) = CliRunner.Run("hrnn", "init", "--seed", "3", "--out", path);
        Assert.True(exit == 0, err + output);
        return path;
    }

    [Fact]
    public void SeveralHorizonsGiveOneRowPerTaskAndHorizonWithDivergenceAndSpikes()
    {
        var (exit, output, err) = CliRunner.Run("eval", "--weights", Weights(), "--tasks", "l2o-quadratic", "--seeds", "2", "--tuning-seeds", "1",
                                                "--steps", "10,20", "--out", _dir);
        Assert.True(exit == 0, err + output);
        Assert.Contains("| diverged | spikes |", output);
        Assert.Matches(@"\| l2o-quadratic \| l2o-dm \| 10 \| .* \| \d+/\d+/\d+/\d+ \| \d+/\d+/\d+/\d+ \|", output);
        Assert.Matches(@"\| l2o-quadratic \| l2o-dm \| 20 \| .* \| \d+/\d+/\d+/\d+ \| \d+/\d+/\d+/\d+ \|", output);
        Assert.Contains("HRNN vs the best tuned baseline at 10 steps:", output);
        Assert.Contains("HRNN vs the best tuned baseline at 20 steps:", output);
        Assert.True(File.Exists(Path.Combine(_dir, "curves-l2o-quadratic-10.png")));
        Assert.True(File.Exists(Path.Combine(_dir, "curves-l2o-quadratic-20.png")));

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "results.json")));
        Assert.Equal([10, 20], json.RootElement.GetProperty("horizons").EnumerateArray().Select(h => h.GetInt32()));
        var tasks = json.RootElement.GetProperty("tasks").EnumerateArray().ToList();
        Assert.Equal([10, 20], tasks.Select(t => t.GetProperty("steps").GetInt32()));
        foreach (var o in tasks.SelectMany(t => t.GetProperty("optimizers").EnumerateArray()))
        {
            var diverged = o.GetProperty("diverged").EnumerateArray().Select(d => d.GetBoolean()).ToList();
            var spikes = o.GetProperty("spikesPerSeed").EnumerateArray().Select(k => k.GetInt32()).ToList();
            Assert.Equal(2, diverged.Count);
            Assert.Equal(diverged.Count(d => d), o.GetProperty("divergedSeeds").GetInt32());
            Assert.Equal(spikes.Sum(), o.GetProperty("spikes").GetInt32());
        }
    }

    [Fact]
    public void OneHorizonKeepsTheSingleStepsFieldAndPlotNames()
    {
        var (exit, output, err) = CliRunner.Run("eval", "--weights", Weights(), "--tasks", "l2o-quadratic", "--seeds", "1", "--tuning-seeds", "1",
                                                "--steps", "10", "--out", _dir);
        Assert.True(exit == 0, err + output);
        Assert.Contains("HRNN vs the best tuned baseline:", output);
        Assert.True(File.Exists(Path.Combine(_dir, "curves-l2o-quadratic.png")));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "results.json")));
        Assert.Equal(10, json.RootElement.GetProperty("steps").GetInt32());
    }

    [Fact]
    public void TheTableCountsADivergedHrnnSeedAsALoss()
    {
        OptimizerResult Of(string name, double mean, bool[] diverged, int[] spikes)
            => new(name, name == "hrnn" ? null : 1e-3, [mean, mean + 0.01, mean - 0.01], [], diverged, spikes);
        var r = new TaskResult("rosenbrock", "in-distribution", 100,
        [
            Of("hrnn", -5, [false, false, true], [0, 2, 7]), Of("adam", -1, [false, false, false], [0, 0, 0]),
            Of("rmsprop", -1, [true, true, false], [1, 0, 0]), Of("sgd-momentum", -1, [false, false, false], [0, 0, 3]),
        ]);
        var table = EvalReport.Table([r], "w.safetensors", 3);
        Assert.Contains("| adam | loss | 1/0/2/0 | 9/0/1/3 |", table);
        Assert.Contains("0 wins, 0 ties, 1 losses", table);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("100,abc")]
    [InlineData(",")]
    public void BadHorizonsAreRejectedNamingTheArgument(string steps)
    {
        var (exit, _, err) = CliRunner.Run("eval", "--weights", Weights(), "--tasks", "l2o-quadratic", "--steps", steps);
        Assert.Equal(2, exit);
        Assert.Contains($"--steps '{steps}'", err);
    }
}
