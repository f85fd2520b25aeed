using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Runtime;

namespace LearnedOpt.Cluster;

/// <summary>
/// The two kinds of silo. The coordinator is the primary silo of development clustering (no external
/// membership service): it hosts the run grain and no slot groups. A worker joins it and hosts slot
/// groups only. Orleans traffic is unauthenticated: keep it on a private network.
/// </summary>
public static class ClusterSilos
{
    public const string ClusterId = "lopt", ServiceId = "lopt-meta-train";

    /// <summary>Adds the coordinator's role to a silo (also used by the in-process test clusters).</summary>
    public static ISiloBuilder AddCoordinatorRole(this ISiloBuilder silo)
    {
        silo.Services.AddSingleton<CoordinatorRuns>();
        silo.Services.Configure<GrainTypeOptions>(o => o.Classes.Remove(typeof(SlotGroupGrain)));
        return silo;
    }

    /// <summary>Adds the worker's role to a silo: slot groups with <paramref name="threads"/> threads each (0 = processor count).</summary>
    public static ISiloBuilder AddWorkerRole(this ISiloBuilder silo, int threads)
    {
        silo.Services.AddSingleton(_ => new WorkerResources(threads));
        silo.Services.Configure<GrainTypeOptions>(o => o.Classes.Remove(typeof(RunGrain)));
        return silo;
    }

    /// <summary>Failure detection: how long a dead worker goes unnoticed (probe timeout × missed probes).</summary>
    public static ISiloBuilder WithFailureDetection(this ISiloBuilder silo, TimeSpan probeTimeout, int missedProbes)
    {
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = probeTimeout;
            o.NumMissedProbesLimit = missedProbes;
            o.NumVotesForDeathDeclaration = 1;
        });
        return silo;
    }

    /// <summary>The coordinator silo, listening on <paramref name="listen"/> (which workers join).</summary>
    public static IHost Coordinator(ClusterEndpoint listen, TimeSpan callTimeout)
        => Build(silo => Common(silo, listen.EndPoint, listen, callTimeout).AddCoordinatorRole());

    /// <summary>A worker silo joining the coordinator at <paramref name="join"/>, on its own port <paramref name="port"/>.</summary>
    public static IHost Worker(ClusterEndpoint join, int port, int threads, TimeSpan callTimeout)
    {
        var own = new ClusterEndpoint(IPAddress.IsLoopback(join.Address) ? IPAddress.Loopback : LocalAddressToward(join.Address), port);
        return Build(silo => Common(silo, join.EndPoint, own, callTimeout).AddWorkerRole(threads));
    }

    private static ISiloBuilder Common(ISiloBuilder silo, IPEndPoint primary, ClusterEndpoint own, TimeSpan callTimeout)
    {
        silo.UseDevelopmentClustering(primary);
        silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (ClusterId, ServiceId));
        silo.ConfigureEndpoints(own.Address, own.Port, gatewayPort: 0, listenOnAnyHostAddress: !IPAddress.IsLoopback(own.Address));
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = callTimeout);
        return silo.WithFailureDetection(TimeSpan.FromSeconds(2), 3);
    }

    private static IHost Build(Action<ISiloBuilder> configure) => new HostBuilder().UseOrleans(configure).Build();

    // The address this machine uses to reach the coordinator: what a worker advertises.
    private static IPAddress LocalAddressToward(IPAddress remote)
    {
        using var s = new System.Net.Sockets.Socket(remote.AddressFamily, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        s.Connect(remote, 9);
        return ((IPEndPoint)s.LocalEndPoint!).Address;
    }

    /// <summary>Waits until <paramref name="minWorkers"/> worker silos are active; a clear error after <paramref name="timeout"/>.</summary>
    public static async Task<int> WaitForWorkers(IServiceProvider coordinator, int minWorkers, TimeSpan timeout, CancellationToken cancel = default)
    {
        var membership = coordinator.GetRequiredService<IClusterMembershipService>();
        var self = coordinator.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            int workers = ActiveWorkers(membership, self);
            if (workers >= minWorkers) return workers;
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException($"--min-workers {minWorkers}: {workers} worker(s) joined within {timeout.TotalSeconds:F0} s; start them with `lopt worker --join HOST:PORT`.");
            await Task.Delay(200, cancel);
        }
    }

    public static int ActiveWorkers(IClusterMembershipService membership, SiloAddress self)
        => membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active && !m.SiloAddress.Equals(self));
}
