using LearnedOpt.MetaTraining;
using LearnedOpt.Tests.Cli;
using LearnedOpt.Tests.MetaTraining;

namespace LearnedOpt.Tests.Cluster;

/// <summary>The cluster flags refuse what a cluster cannot run, naming the flag and the value.</summary>
[Trait("tier", "cpu")]
[Collection(CliCollection.Name)]
public class ClusterCliTests
{
    [Fact]
    public void AClusterRunNeedsKeyedPerturbations()
    {
        using var dir = new TempDir();
        var config = dir.File("sequential.json");
        File.WriteAllText(config, SmallConfigs.Tiny(2).ToJson());
        var (exit, _, err) = CliRunner.Run("meta-train", "--config", config, "--out", dir.File("out"), "--cluster", "--workers", "1");
        Assert.Equal(2, exit);
        Assert.Contains("\"perturbations\": \"sequential\"", err);
        Assert.Contains("keyed", err);
    }

    [Fact]
    public void ClusterFlagsWithoutClusterAreRefused()
    {
        using var dir = new TempDir();
        var (exit, _, err) = CliRunner.Run("meta-train", "--out", dir.File("out"), "--listen", "127.0.0.1:4000", "--iterations", "1");
        Assert.Equal(2, exit);
        Assert.Contains("--listen and --workers need --cluster", err);
    }

    [Theory]
    [InlineData("nohost", "--join = 'nohost'")]
    [InlineData("no-such-host.invalid:4000", "--join = 'no-such-host.invalid:4000'")]
    [InlineData("127.0.0.1:0", "--join = '127.0.0.1:0'")]
    [InlineData("127.0.0.1:70000", "port in 1..65535")]
    public void AWorkerNamesABadJoinAddress(string join, string expected)
    {
        var (exit, _, err) = CliRunner.Run("worker", "--join", join);
        Assert.Equal(2, exit);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void CudaWorkersAreNotOffered()
    {
        var (exit, _, err) = CliRunner.Run("worker", "--join", "127.0.0.1:4000", "--backend", "cuda");
        Assert.Equal(2, exit);
        Assert.Contains("--backend cuda", err);
    }
}
