using System.Diagnostics;
using System.Globalization;
using LearnedOpt.Cluster;
using LearnedOpt.MetaTraining;
using Microsoft.Extensions.Hosting;

namespace LearnedOpt.Cli.MetaTraining;

/// <summary>
/// <c>lopt meta-train --cluster</c>: the coordinator silo, the local worker processes of
/// <c>--workers N</c>, and the wait for <c>--min-workers</c>; hands the trainer its pair runner.
/// Disposing stops the silo and the local workers.
/// </summary>
public sealed class ClusterSession : IDisposable
{
    private readonly IHost _silo;
    private readonly List<Process> _children = [];

    private ClusterSession(IHost silo, ClusterPairRunner runner)
    {
        _silo = silo;
        Runner = runner;
    }

    public ClusterPairRunner Runner { get; }

    /// <summary>The coordinator silo's services.</summary>
    public IServiceProvider Services => _silo.Services;

    public static ClusterSession Start(MetaTrainingConfig config, string runId, string? listen, int localWorkers, int minWorkers,
                                       int threadsPerWorker, TimeSpan callTimeout, TimeSpan workerTimeout)
    {
        var endpoint = listen != null ? ClusterEndpoint.Parse(listen, "--listen") : new ClusterEndpoint(System.Net.IPAddress.Loopback, ClusterEndpoint.FreePort());
        var silo = ClusterSilos.Coordinator(endpoint, callTimeout);
        try
        {
            silo.StartAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            silo.Dispose();
            throw new CliError($"--listen {endpoint}: the coordinator silo did not start: {e.Message}");
        }
        var session = new ClusterSession(silo, new ClusterPairRunner(silo.Services, runId, config));
        try
        {
            Console.WriteLine($"cluster: coordinator listening on {endpoint}; workers join with `lopt worker --join {endpoint}`");
            for (int i = 0; i < localWorkers; i++) session._children.Add(StartLocalWorker(endpoint, threadsPerWorker));
            int workers = ClusterSilos.WaitForWorkers(silo.Services, Math.Max(minWorkers, localWorkers), workerTimeout).GetAwaiter().GetResult();
            Console.WriteLine($"cluster: {workers} worker(s) joined");
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>"worker: groups (share)" of the groups run so far.</summary>
    public string Shares()
    {
        long total = Runner.GroupsByWorker.Values.Sum();
        return string.Join(", ", Runner.GroupsByWorker.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{p.Key} {(100.0 * p.Value / Math.Max(1, total)).ToString("F0", CultureInfo.InvariantCulture)}%"));
    }

    // The same lopt build as this process: the apphost beside lopt.dll, or dotnet lopt.dll.
    private static Process StartLocalWorker(ClusterEndpoint join, int threads)
    {
        var dll = typeof(LoptProgram).Assembly.Location;
        var apphost = Path.Combine(Path.GetDirectoryName(dll)!, "lopt");
        var psi = new ProcessStartInfo(File.Exists(apphost) ? apphost : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { UseShellExecute = false };
        if (!File.Exists(apphost)) psi.ArgumentList.Add(dll);
        foreach (var a in new[] { "worker", "--join", join.ToString(), "--threads", threads.ToString(CultureInfo.InvariantCulture) }) psi.ArgumentList.Add(a);
        return Process.Start(psi) ?? throw new CliError($"--workers: could not start {psi.FileName}.");
    }

    public void Dispose()
    {
        foreach (var c in _children)
        {
            try
            {
                if (!c.HasExited) c.Kill();
                c.WaitForExit(5000);
            }
            catch (InvalidOperationException) { }
            c.Dispose();
        }
        try
        {
            _silo.StopAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException) { }
        _silo.Dispose();
    }
}
