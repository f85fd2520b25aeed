using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace LearnedOpt.Cluster;

/// <summary>A silo endpoint given as HOST:PORT on the command line.</summary>
public sealed record ClusterEndpoint(IPAddress Address, int Port)
{
    public IPEndPoint EndPoint => new(Address, Port);

    public static ClusterEndpoint Parse(string value, string option)
    {
        int colon = value?.LastIndexOf(':') ?? -1;
        if (colon <= 0 || !int.TryParse(value![(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            throw new ArgumentException($"{option} = '{value}': expected HOST:PORT with a port in 1..65535.", option);
        string host = value[..colon];
        if (!IPAddress.TryParse(host, out var address))
        {
            IPAddress[] found;
            try
            {
                found = Dns.GetHostAddresses(host);
            }
            catch (SocketException e)
            {
                throw new ArgumentException($"{option} = '{value}': host '{host}' could not be resolved ({e.Message}).", option);
            }
            address = found.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? throw new ArgumentException($"{option} = '{value}': host '{host}' has no IPv4 address.", option);
        }
        return new ClusterEndpoint(address, port);
    }

    /// <summary>A TCP port that is free now (the OS picks it).</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public override string ToString() => $"{Address}:{Port.ToString(CultureInfo.InvariantCulture)}";
}
