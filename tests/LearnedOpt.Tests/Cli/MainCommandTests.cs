using LearnedOpt.IO;

namespace LearnedOpt.Tests.Cli;

[Collection(CliCollection.Name)]
[Trait("tier", "cpu")]
public sealed class MainCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lopt-main").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void MainMetaTrainsThenEvaluatesAndResumesInTheSameFolder()
    {
        var (exit, output, err) = CliRunner.Run("main", "--out", _dir, "--iterations", "2", "--tasks", "rosenbrock", "--seeds", "1", "--backend", "cpu");
        Assert.True(exit == 0, err + output);
        var weights = Path.Combine(_dir, "meta-train", "best.safetensors");
        Assert.Contains(SafeTensorsFile.Read(weights).Tensors, t => t.Name == "cell/param/w_x");
        Assert.True(File.Exists(Path.Combine(_dir, "eval", "results.md")));
        Assert.Contains("| rosenbrock |", File.ReadAllText(Path.Combine(_dir, "eval", "results.md")));

        // A second call continues the same run instead of refusing the non-empty folder.
        (exit, output, err) = CliRunner.Run("main", "--out", _dir, "--iterations", "3", "--tasks", "rosenbrock", "--seeds", "1", "--backend", "cpu");
        Assert.True(exit == 0, err + output);
        Assert.Contains("--resume", output);
    }

    [Fact]
    public void AnUnknownEvaluationTaskFailsBeforeTraining()
    {
        var (exit, _, err) = CliRunner.Run("main", "--out", _dir, "--tasks", "rosenbrock,nonexistent", "--backend", "cpu");
        Assert.Equal(2, exit);
        Assert.Contains("'nonexistent'", err);
        Assert.False(Directory.Exists(Path.Combine(_dir, "meta-train")));
    }
}
