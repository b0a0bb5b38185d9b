namespace FaultTolerant.Cluster.Tests.Failover;

/// <summary>
/// The multi-process failover tests run one at a time, alone: each starts three <c>ft node</c> processes, and two
/// clusters at once on a two-core machine would make the failure detectors see deaths that did not happen.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FailoverCollection
{
    public const string Name = "failover, multi-process";
}
