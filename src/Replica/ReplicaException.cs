namespace FaultTolerant.Replica;

/// <summary>Base of every error the replication layer reports.</summary>
public abstract class ReplicaException(string message, Exception? inner = null) : Exception(message, inner);
