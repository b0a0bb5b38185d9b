using System.Collections.Concurrent;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Actors;
using FaultTolerant.Replica.Inputs;
using FaultTolerant.Replica.Tests.Support;

namespace FaultTolerant.Replica.Tests.Actors;

/// <summary>
/// The <see cref="TestGateway"/> as a node's gateway: every primary the actors start (the first one, and a promoted
/// one after failover) is attached to it, and it replays to each what that primary's guest has not received.
/// </summary>
public sealed class TestGatewayPort(TestGateway gateway) : IGuestGateway
{
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<IGuestInputs>> _attached = new();

    public TestGateway Gateway { get; } = gateway;

    public IInputSource SourceFor(string guest) => Gateway;

    public void Attach(string guest, ulong generation, IGuestInputs primary, IReadOnlyList<ConnectionInfo> connections)
    {
        Gateway.Failover(primary, connections);
        Attached(generation).TrySetResult(primary);
    }

    /// <summary>The generations whose primary detached (ended), in order.</summary>
    public ConcurrentQueue<ulong> Detached { get; } = new();

    public void Detach(string guest, ulong generation) => Detached.Enqueue(generation);

    /// <summary>Completes when the primary of <paramref name="generation"/> is attached.</summary>
    public Task<IGuestInputs> WhenAttached(ulong generation) => Attached(generation).Task;

    private TaskCompletionSource<IGuestInputs> Attached(ulong generation) =>
        _attached.GetOrAdd(generation, _ => new TaskCompletionSource<IGuestInputs>(TaskCreationOptions.RunContinuationsAsynchronously));
}
