using FaultTolerant.Cluster.Chaos;

namespace FaultTolerant.Cluster.Tests.Support;

/// <summary>
/// A test that cuts links between nodes, which needs network namespaces (root, iproute2, iptables): skipped, saying
/// why, where they cannot be made. CI runs as root, so there it always runs.
/// </summary>
public sealed class NetnsFactAttribute : FactAttribute
{
    public NetnsFactAttribute()
    {
        if (Network.Unavailable() is { } why) Skip = $"needs network namespaces: {why}";
    }
}
