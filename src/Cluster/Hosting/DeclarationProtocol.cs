namespace FaultTolerant.Cluster.Hosting;

/// <summary>Where a declaration of a protected guest stands on this node.</summary>
public enum DeclarationPhase
{
    /// <summary>Not settled yet: the node has not joined, or the cluster cannot start the guest yet (no majority, too few workers); retried.</summary>
    Waiting = 1,

    /// <summary>This node's request started it.</summary>
    Started = 2,

    /// <summary>It was already in the guest table (started by another node, or before a restart); left as it is.</summary>
    Existing = 3,

    /// <summary>The cluster refused it for a reason retrying cannot change (a bad image, name, port or replica count); not retried.</summary>
    Refused = 4,
}

/// <summary>A declaration and where it stands: its phase, how many requests it took, and the last answer.</summary>
public sealed record GuestDeclaration(string Name, DeclarationPhase Phase, int Attempts, string Message, DateTimeOffset Since)
{
    /// <summary>Whether nothing more will be done for it: started, existing or refused.</summary>
    public bool Settled => Phase != DeclarationPhase.Waiting;
}

// --- Inside a node, between the service (IProtectedGuests, WithProtectedGuest) and its GuestDeclarations actor. Never remote. ---

/// <summary>Declares a guest (again: a declaration of a name already declared replaces it and starts over).</summary>
/// <param name="ReplyWhenSettled">Answer the sender with the <see cref="GuestDeclaration"/> once it is settled.</param>
internal sealed record Declare(ProtectedGuest Guest, bool ReplyWhenSettled);

/// <summary>Asks for every declaration; answered with a <see cref="GuestDeclaration"/> array.</summary>
internal sealed record GetDeclarations
{
    public static readonly GetDeclarations Instance = new();
}

/// <summary>The node is up: declarations may ask the coordinator.</summary>
internal sealed record NodeUp
{
    public static readonly NodeUp Instance = new();
}

/// <summary>Time to ask the coordinator for a declaration (of round <paramref name="Round"/>; a later declaration of the name makes it stale).</summary>
internal sealed record Attempt(string Name, long Round);

/// <summary>What the coordinator answered to an attempt.</summary>
internal sealed record AttemptOutcome(string Name, long Round, StartVerdict Verdict, string Message);
