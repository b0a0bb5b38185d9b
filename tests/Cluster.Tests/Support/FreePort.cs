using System.Net;
using System.Net.Sockets;

namespace FaultTolerant.Cluster.Tests.Support;

public static class FreePort
{
    /// <summary>A loopback port free right now (the OS picks it).</summary>
    public static int Next()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
