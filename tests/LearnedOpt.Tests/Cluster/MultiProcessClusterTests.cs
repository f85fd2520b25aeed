using System.Diagnostics;
using LearnedOpt.Backends;
using LearnedOpt.Cluster;
using LearnedOpt.MetaTraining;
using LearnedOpt.Tests.MetaTraining;
using LearnedOpt.Tests.MetaTraining.Distributed;

namespace LearnedOpt.Tests.Cluster;

/// <summary>
/// A coordinator and two <c>lopt worker</c> processes on localhost; one worker is killed (SIGKILL)
/// mid-run. The coordinator's weights equal the one-process keyed run's bit for bit.
/// </summary>
[Trait("tier", "cpu")]
[Collection(ClusterCollection.Name)]
public class MultiProcessClusterTests
{
    private static Process Start(List<string> output, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "lopt.dll");
        Assert.True(File.Exists(dll), $"lopt.dll not found next to the test assembly ({dll})");
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.Add(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (output) output.Add(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static int MetricLines(string dir)
    {
        var path = Path.Combine(dir, MetaTrainer.MetricsFile);
        try
        {
            return File.Exists(path) ? File.ReadAllLines(path).Length : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    [Fact]
    public void AKilledWorkerProcessLosesNoMetaStep()
    {
        using var dir = new TempDir();
        var config = PlannedRunTests.Keyed("pes", 60) with { Slots = 6, SlotsPerGroup = 1, ValidateEvery = 30, CheckpointEvery = 30 };
        var configPath = dir.File("cluster.json");
        File.WriteAllText(configPath, config.ToJson());
        using (var backend = new CpuBackend()) new MetaTrainer(config, dir.File("local"), backend).Run(TestContext.Current.CancellationToken);

        string listen = $"127.0.0.1:{ClusterEndpoint.FreePort()}";
        var log = new List<string>();
        using var coordinator = Start(log, "meta-train", "--config", configPath, "--out", dir.File("cluster"), "--cluster", "--listen", listen,
                                      "--min-workers", "2", "--call-timeout", "30", "--worker-timeout", "120");
        using var survivor = Start(log, "worker", "--join", listen, "--threads", "1");
        using var victim = Start(log, "worker", "--join", listen, "--threads", "1");
        try
        {
            var clock = Stopwatch.StartNew();
            while (MetricLines(dir.File("cluster")) < 4 && !coordinator.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(50);
            int linesAtKill = MetricLines(dir.File("cluster"));
            victim.Kill();    // SIGKILL on Linux
            Assert.False(coordinator.HasExited, "the coordinator ended before the worker was killed:\n" + string.Join("\n", log));
            Assert.InRange(linesAtKill, 4, 60);
            Assert.True(coordinator.WaitForExit(TimeSpan.FromMinutes(3)), "the coordinator did not finish within 3 minutes:\n" + string.Join("\n", log));
            Assert.True(coordinator.ExitCode == 0, $"coordinator exit {coordinator.ExitCode}:\n{string.Join("\n", log)}");
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir.File("local"), MetaTrainer.FinalWeightsFile)),
                         File.ReadAllBytes(Path.Combine(dir.File("cluster"), MetaTrainer.FinalWeightsFile)));
            Assert.Equal(61, MetaTrainer.ReadMetrics(Path.Combine(dir.File("cluster"), MetaTrainer.MetricsFile)).Count);
            // The surviving worker leaves with the coordinator.
            Assert.True(survivor.WaitForExit(TimeSpan.FromSeconds(30)), "the surviving worker did not stop after the coordinator left");
        }
        finally
        {
            foreach (var p in new[] { coordinator, survivor, victim }) if (!p.HasExited) p.Kill();
        }
    }
}
