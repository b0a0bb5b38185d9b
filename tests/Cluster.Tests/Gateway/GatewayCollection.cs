namespace FaultTolerant.Cluster.Tests.Gateway;

/// <summary>Gateway tests run a whole primary at full speed: one at a time, so their timing does not depend on each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GatewayCollection
{
    public const string Name = "gateway";
}
