using System.Text.Json;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Tests.Cli;

/// <summary>--optimizer hrnn without --weights runs the shipped weights; library errors come back in the CLI's flags.</summary>
[Trait("tier", "cpu")]
[Collection(CliCollection.Name)]
public class ShippedWeightsCliTests
{
    [Fact]
    public void TrainWithoutWeightsRunsTheShippedOnesAndSaysSo()
    {
        string[] args = ["train", "--task", "l2o-quadratic", "--optimizer", "hrnn", "--steps", "5", "--seed", "2", "--json", "--backend", "cpu"];
        var (code, stdout, err) = CliRunner.Run(args);
        Assert.Equal(0, code);
        Assert.Contains($"hrnn with the shipped weights ({ShippedHrnnWeights.FileName}", err);

        var repoWeights = Path.Combine(RepoRoot(), "weights", ShippedHrnnWeights.FileName);
        var (code2, stdout2, err2) = CliRunner.Run([.. args, "--weights", repoWeights]);
        Assert.Equal(0, code2);
        Assert.DoesNotContain("shipped weights", err2);
        Assert.Equal(TrainLoss(stdout2), TrainLoss(stdout));
    }

    [Fact]
    public void LibraryErrorsNameTheFlags()
    {
        var weights = Path.Combine(RepoRoot(), "weights", ShippedHrnnWeights.FileName);
        var (code, _, err) = CliRunner.Run("train", "--task", "l2o-quadratic", "--optimizer", "adam", "--steps", "3", "--weights", weights, "--backend", "cpu");
        Assert.Equal(2, code);
        Assert.Contains("lopt: --weights is only used by learned optimizers, not by adam.", err);
        Assert.DoesNotContain("weightsPath", err);

        var (code2, _, err2) = CliRunner.Run("train", "--task", "l2o-quadratic", "--optimizer", "adam", "--steps", "3", "--backend", "tpu");
        Assert.Equal(2, code2);
        Assert.Contains("lopt: --backend 'tpu' is not one of: auto, cpu, cuda.", err2);
        Assert.DoesNotContain("Parameter", err2);
    }

    private static double TrainLoss(string json) => JsonDocument.Parse(json).RootElement.GetProperty("train_loss").GetDouble();

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Interop.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Interop.sln above {AppContext.BaseDirectory}");
    }
}
