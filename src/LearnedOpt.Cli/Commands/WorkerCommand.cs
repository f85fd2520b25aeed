using System.CommandLine;
using LearnedOpt.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;

namespace LearnedOpt.Cli.Commands;

/// <summary>
/// <c>lopt worker --join HOST:PORT [--threads T] [--port P]</c>: a worker silo of a cluster
/// meta-training run (docs/scale-out.md). It hosts slot groups until the coordinator goes.
/// </summary>
public sealed class WorkerCommand : ICommandFactory
{
    public Command Create()
    {
        var join = new Option<string>("--join") { Description = "The coordinator's HOST:PORT (its --listen).", Required = true };
        var threads = new Option<int>("--threads") { Description = "Trajectories a slot group unrolls in parallel (0 = processor count).", DefaultValueFactory = _ => 0 };
        var port = new Option<int>("--port") { Description = "This worker's silo port (0 = a free one).", DefaultValueFactory = _ => 0 };
        var backend = new Option<string>("--backend") { Description = "cpu (default): where the per-slot unrolls run.", DefaultValueFactory = _ => "cpu" };
        backend.AcceptOnlyFromAmong("cpu", "cuda");
        var cmd = new Command("worker", "Join a cluster meta-training run as a worker silo (lopt meta-train --cluster).");
        foreach (var o in new Option[] { join, threads, port, backend }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            if (parse.GetValue(backend) == "cuda")
                throw new CliError("--backend cuda: cluster workers run per-slot unrolls on the CPU; batched CUDA slot groups are not implemented yet.");
            if (parse.GetValue(threads) < 0) throw new CliError($"--threads {parse.GetValue(threads)}: must be >= 0 (0 = processor count).");
            var primary = ClusterEndpoint.Parse(parse.GetValue(join)!, "--join");
            int p = parse.GetValue(port) is > 0 and var given ? given : ClusterEndpoint.FreePort();
            using var silo = ClusterSilos.Worker(primary, p, parse.GetValue(threads), TimeSpan.FromMinutes(10));
            try
            {
                silo.StartAsync().GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new CliError($"--join {primary}: could not join the coordinator: {e.Message}");
            }
            Console.WriteLine($"worker: joined {primary} ({ClusterProtocol.Current})");
            // Serve until the coordinator, the run, is gone: declared dead, or its port closed for a few seconds.
            var membership = silo.Services.GetRequiredService<IClusterMembershipService>();
            int unreachable = 0;
            while (unreachable < 6 && !membership.CurrentSnapshot.Members.Values.Any(m => m.SiloAddress.Endpoint.Port == primary.Port && m.Status == SiloStatus.Dead))
            {
                Thread.Sleep(500);
                unreachable = Reachable(primary) ? 0 : unreachable + 1;
            }
            Console.WriteLine("worker: the coordinator left; stopping");
            try
            {
                silo.StopAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException) { }
            return 0;
        });
        return cmd;
    }

    private static bool Reachable(ClusterEndpoint endpoint)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            return client.ConnectAsync(endpoint.Address, endpoint.Port).Wait(1000) && client.Connected;
        }
        catch (AggregateException)
        {
            return false;
        }
    }
}
