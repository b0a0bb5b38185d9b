namespace FaultTolerant.Guest;

/// <summary>Base of every error the guest layer reports to its host.</summary>
public abstract class GuestException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The file is not a static 64-bit RISC-V Linux executable this emulator can run. The message says why.</summary>
public sealed class InvalidElfException(string message) : GuestException(message);

/// <summary>A captured state cannot be restored.</summary>
public abstract class GuestStateException(string message, Exception? inner = null) : GuestException(message, inner);

/// <summary>The image was written by a format version this build does not read.</summary>
public sealed class UnsupportedStateVersionException(int found, int supported)
    : GuestStateException($"guest state format version {found} is not supported (this build reads version {supported})")
{
    public int Found { get; } = found;
}

/// <summary>The image is truncated, has a bad magic number or checksum, or its contents are inconsistent.</summary>
public sealed class CorruptStateException(string message, Exception? inner = null) : GuestStateException(message, inner);

/// <summary>A delta does not follow the state it is applied to (missing, repeated or reordered captures).</summary>
public sealed class StateSequenceException(ulong expectedBase, ulong actualBase)
    : GuestStateException($"delta is based on capture {actualBase}, but the state being restored is at capture {expectedBase}")
{
    public ulong ExpectedBase { get; } = expectedBase;
    public ulong ActualBase { get; } = actualBase;
}

/// <summary>The host tried to connect to a guest port with no listener, or its backlog is full.</summary>
public sealed class GuestConnectionRefusedException(int port, string reason)
    : GuestException($"guest port {port}: connection refused ({reason})")
{
    public int Port { get; } = port;
}
