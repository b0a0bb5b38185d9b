namespace FaultTolerant.Replica.Codec;

/// <summary>
/// An encoded page cannot be decoded: unknown encoding, a delta with no copy to apply it to, or a
/// truncated, overlong or inconsistent body. The message says which. The destination is left unchanged.
/// </summary>
public sealed class PageCodecException(string message, Exception? inner = null) : ReplicaException(message, inner);
