using FaultTolerant.Guest;
using FaultTolerant.Replica.Inputs;

namespace FaultTolerant.Replica.Actors;

/// <summary>
/// A node's end of guests' network identities (DESIGN §4), as the replica actors see it: where a primary's
/// releases go, and who must route a guest's inputs to a primary that is about to start.
/// </summary>
/// <remarks>Called on an actor's thread: implementations must not block.</remarks>
public interface IGuestGateway
{
    /// <summary>Where the primary of <paramref name="guest"/> reports its releases.</summary>
    IInputSource SourceFor(string guest);

    /// <summary>
    /// The primary of <paramref name="guest"/> for <paramref name="generation"/> is about to start: send its inputs to
    /// <paramref name="primary"/>, replaying per connection every byte past what its guest has received
    /// (<paramref name="connections"/>: empty for a fresh guest, the committed state's connections after a promotion).
    /// </summary>
    void Attach(string guest, ulong generation, IGuestInputs primary, IReadOnlyList<ConnectionInfo> connections);

    /// <summary>
    /// The primary of <paramref name="guest"/> attached at <paramref name="generation"/> ended (fenced, stopped, its
    /// guest exited): its sessions are closed, so gateways stop waiting on it and follow the guest table. A detach of a
    /// generation that is no longer the attached one is ignored.
    /// </summary>
    void Detach(string guest, ulong generation)
    {
    }
}
