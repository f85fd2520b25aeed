using System.Diagnostics;

namespace LearnedOpt.Tests.Cli;

/// <summary>
/// `lopt replay` against real torch.optim (Adam and AdamW with and without amsgrad, SGD with
/// momentum/dampening/Nesterov/weight decay, RMSProp plain and centered, Adagrad, Adamax, NAdam,
/// RAdam) on the same recorded gradients, through tests/torch/replay_check.py. Where the installed
/// torch predates a PyTorch 2.x formula (NAdam's momentum product, decoupled decay of NAdam/RAdam)
/// the script compares with its transcription of 2.x and says so. Needs a python3 with torch
/// (Debian: python3-torch, which .ci/run installs); skips without one, except in CI.
/// </summary>
[Trait("tier", "cpu")]
public class TorchReplayTests
{
    [Fact]
    public async Task ReplayReproducesTorchOptimTrajectories()
    {
        var python = FindTorchPython();
        bool ci = Environment.GetEnvironmentVariable("CI") == "true";
        if (python == null && ci) Assert.Fail("CI=true but no python3 with torch was found (install python3-torch).");
        Assert.SkipWhen(python == null, "no python3 with torch (apt-get install python3-torch)");

        var root = RepoRoot();
        var lopt = Path.Combine(AppContext.BaseDirectory, "lopt.dll");
        Assert.True(File.Exists(lopt), $"{lopt} is missing");
        var psi = new ProcessStartInfo(python!)
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { Path.Combine(root, "tests", "torch", "replay_check.py"), "--lopt", $"dotnet \"{lopt}\"", "--backend", "cpu", "--steps", "40" },
        };
        using var p = Process.Start(psi)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(5));
        var stdout = p.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = p.StandardError.ReadToEndAsync(timeout.Token);
        await p.WaitForExitAsync(timeout.Token);
        var output = await stdout;
        Assert.True(p.ExitCode == 0, $"replay_check.py exit {p.ExitCode}:\n{output}\n{await stderr}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("ok") || l.StartsWith("FAIL")).ToList();
        Assert.Equal(24, lines.Count);
        Assert.All(lines, l => Assert.StartsWith("ok", l));
        foreach (var name in new[] { "adam", "adamw", "sgd", "rmsprop", "adagrad", "adamax", "nadam", "radam" })
            Assert.Contains(lines, l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] == name);
        Assert.Contains(output.Split('\n'), l => l.StartsWith("ref  ok: transcription Torch2RAdam"));
    }

    private static string? FindTorchPython()
    {
        foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                using var p = Process.Start(new ProcessStartInfo(candidate, ["-c", "import torch"]) { RedirectStandardError = true, RedirectStandardOutput = true });
                if (p == null) continue;
                p.WaitForExit(60_000);
                if (p.HasExited && p.ExitCode == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }
        return null;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Interop.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Interop.sln above {AppContext.BaseDirectory}");
    }
}
