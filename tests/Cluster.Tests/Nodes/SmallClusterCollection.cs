namespace FaultTolerant.Cluster.Tests.Nodes;

/// <summary>The tests of this folder share one small cluster, one test at a time (they compare its state before and after).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SmallClusterCollection : ICollectionFixture<SmallCluster>
{
    public const string Name = "small cluster";
}
