using System.Diagnostics;
using LearnedOpt.IO;
using LearnedOpt.MetaTraining;

namespace LearnedOpt.Tests.MetaTraining;

/// <summary>
/// Kills a real <c>dotnet lopt.dll meta-train</c> child mid-run, resumes it with --resume, and
/// checks the result against an uninterrupted run of the same seed to the same iteration: bit-identical on CPU.
/// </summary>
[Trait("tier", "cpu")]
public class ResumeAfterKillTests
{
    private static string LoptDll()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "lopt.dll");
        Assert.True(File.Exists(path), $"lopt.dll not found next to the test assembly ({path})");
        return path;
    }

    private static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(LoptDll());
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static int RunToEnd(params string[] args)
    {
        using var p = Start(args);
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), "lopt meta-train did not finish within 5 minutes");
        return p.ExitCode;
    }

    private static float[] Phi(string dir) => SafeTensorsFile.Read(Path.Combine(dir, MetaTrainer.FinalWeightsFile)).Tensors.SelectMany(t => t.ToFloats()).ToArray();

    [Fact]
    public void KilledRunResumesBitIdentically()
    {
        using var dir = new TempDir();
        // The child is started with far more meta-iterations than it can run in the test's time, so it
        // is still running when it is killed; both runs then end at the same iteration, set after the kill.
        var cfg = SmallConfigs.Tiny(1_000_000) with { CheckpointEvery = 10, ValidateEvery = 20 };
        var cfgPath = dir.File("tiny.json");
        File.WriteAllText(cfgPath, cfg.ToJson());
        var whole = dir.File("whole");
        var killed = dir.File("killed");

        var store = new CheckpointStore(Path.Combine(killed, "checkpoints"), cfg.KeepCheckpoints);
        using (var p = Start("meta-train", "--config", cfgPath, "--out", killed))
        {
            var clock = Stopwatch.StartNew();
            while (!store.Iterations().Any(it => it >= 20) && !p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(5);
            Assert.False(p.HasExited, $"the child exited by itself (code {(p.HasExited ? p.ExitCode : 0)}) before the kill");
            Assert.True(store.Iterations().Any(it => it >= 20), "no checkpoint at iteration >= 20 within 3 minutes");
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            Assert.NotEqual(0, p.ExitCode);
        }
        Assert.False(File.Exists(Path.Combine(killed, MetaTrainer.FinalWeightsFile)), "the killed run must not have finished");
        long killedAt = store.Iterations().Max();
        Assert.InRange(killedAt, 20, cfg.MetaIterations - 1);

        // Both runs end 40 iterations past the newest checkpoint of the killed one.
        string end = (killedAt + 40).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(0, RunToEnd("meta-train", "--config", cfgPath, "--out", whole, "--iterations", end));
        Assert.Equal(0, RunToEnd("meta-train", "--resume", "--out", killed, "--iterations", end));

        Assert.Equal(Phi(whole), Phi(killed));
        // The metrics of both runs agree line by line on everything but the timings.
        var a = MetaTrainer.ReadMetrics(Path.Combine(whole, MetaTrainer.MetricsFile));
        var b = MetaTrainer.ReadMetrics(Path.Combine(killed, MetaTrainer.MetricsFile));
        Assert.Equal(killedAt + 40, a[^1].Iteration);
        Assert.Equal(a.Count, b.Count);
        Assert.Equal(a, b);
    }
}
