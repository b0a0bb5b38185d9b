using System.Net;
using FaultTolerant.Cluster.Gateway;

namespace FaultTolerant.Cluster.Ingress;

/// <summary>How a node points its <see cref="GuestGateway"/> at a primary on any node (docs/GATEWAY.md, "Wiring a node").</summary>
public static class GatewayIngress
{
    /// <summary>
    /// Opens a <see cref="RemotePrimary"/> to the guest's primary behind <paramref name="ingress"/>, claiming every
    /// connection the gateway has clients for, and once welcomed fails the gateway over to it: the clients' connections
    /// the primary has are replayed there, the others connected again. Call it when the gateway starts, when the
    /// previous <see cref="RemotePrimary.Disconnected"/> completes, and after a promotion. On failure the gateway is
    /// untouched: ask where the primary is and try again.
    /// </summary>
    /// <param name="gatewayId">This node, the same for every call: the primary side gives a connection back only to the gateway that made it.</param>
    /// <returns>The remote primary the gateway now uses; watch its <see cref="RemotePrimary.Disconnected"/>.</returns>
    /// <exception cref="IngressRefusedException">No primary of the guest there, or of another generation.</exception>
    /// <exception cref="IngressConnectionLostException">No connection, or it broke before the primary answered.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired first.</exception>
    public static async Task<RemotePrimary> FailoverToRemoteAsync(this GuestGateway gateway, IPEndPoint ingress, ulong generation, string gatewayId,
        RemotePrimaryOptions? options = null, CancellationToken cancellation = default)
    {
        // The failover runs on the remote's reader, before the releases that follow the Welcome reach the gateway.
        var remote = new RemotePrimary(ingress, gateway.GuestName, generation, gatewayId, gateway.ConnectionIds, gateway.OnRelease, options,
            (primary, welcome) => gateway.Failover(primary, welcome.Connections, welcome.Lost));
        try
        {
            await remote.Welcome.WaitAsync(cancellation);
            return remote;
        }
        catch
        {
            await remote.DisposeAsync();
            throw;
        }
    }
}
