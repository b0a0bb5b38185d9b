namespace FaultTolerant.Replica.Tests.Channel;

/// <summary>
/// Tests that run a whole primary (a guest thread at full speed) over real sockets: one at a time, so their timing
/// does not depend on how many others share the machine's cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DataChannelCollection
{
    public const string Name = "data channel";
}
