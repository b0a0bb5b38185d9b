using FaultTolerant.Guest.Kernel.Files;

namespace FaultTolerant.Guest.Kernel;

/// <summary>Poll event bits, as in Linux's poll.h.</summary>
[Flags]
internal enum PollEvents : short
{
    None = 0,
    In = 0x1,
    Pri = 0x2,
    Out = 0x4,
    Err = 0x8,
    Hup = 0x10,
    Nval = 0x20,
    RdNorm = 0x40,
    WrNorm = 0x100,
    RdHup = 0x2000,
}

/// <summary>An open file description: what an fd refers to.</summary>
/// <remarks>
/// Read and write return a byte count, a negative errno, or <see cref="WouldBlock"/>; the kernel turns
/// WouldBlock into EAGAIN for a non-blocking description and into a Blocked run otherwise.
/// </remarks>
internal abstract class OpenFile
{
    public const long WouldBlock = long.MinValue;
    public const int AccessModeMask = 3, ReadOnly = 0, WriteOnly = 1, ReadWrite = 2;
    public const int OAppend = 0x400, ONonblock = 0x800, OCreat = 0x40, OExcl = 0x80, OTrunc = 0x200,
        ODirectory = 0x10000, OCloexec = 0x80000;

    /// <summary>Status flags as F_GETFL reports them: access mode, O_APPEND, O_NONBLOCK.</summary>
    public int Flags { get; set; }

    public bool Nonblocking => (Flags & ONonblock) != 0;

    public bool CanRead => (Flags & AccessModeMask) != WriteOnly;

    public bool CanWrite => (Flags & AccessModeMask) != ReadOnly;

    public virtual long Read(Span<byte> destination) => -Errno.EINVAL;

    public virtual long Write(ReadOnlySpan<byte> source) => -Errno.EINVAL;

    public virtual long Seek(long offset, int whence) => -Errno.ESPIPE;

    public abstract PollEvents Poll();

    public abstract uint Mode { get; }

    public virtual long Size => 0;

    public virtual long InodeNumber => 0;

    public virtual void Closed()
    {
    }
}

internal sealed class RegularFile(FileNode node) : OpenFile
{
    public FileNode Node { get; } = node;

    public long Offset { get; set; }

    public override uint Mode => Node.Mode;

    public override long Size => Node.Length;

    public override long InodeNumber => Node.Number;

    public override PollEvents Poll() => PollEvents.In | PollEvents.Out | PollEvents.RdNorm | PollEvents.WrNorm;

    public override long Read(Span<byte> destination)
    {
        int n = Node.ReadAt(Offset, destination);
        Offset += n;
        return n;
    }

    public override long Write(ReadOnlySpan<byte> source)
    {
        if ((Flags & OAppend) != 0) Offset = Node.Length;
        if (Offset + source.Length > VirtualFileSystem.FileSizeMax) return -Errno.EFBIG;
        Node.WriteAt(Offset, source);
        Offset += source.Length;
        return source.Length;
    }

    public override long Seek(long offset, int whence)
    {
        long target = whence switch
        {
            0 => offset,
            1 => Offset + offset,
            2 => Node.Length + offset,
            _ => -1,
        };
        if (whence is < 0 or > 2 || target < 0) return -Errno.EINVAL;
        Offset = target;
        return target;
    }
}

internal sealed class DirectoryFile(DirectoryNode node) : OpenFile
{
    public DirectoryNode Node { get; } = node;

    public override uint Mode => Node.Mode;

    public override long InodeNumber => Node.Number;

    public override long Read(Span<byte> destination) => -Errno.EISDIR;

    public override long Write(ReadOnlySpan<byte> source) => -Errno.EBADF;

    public override long Seek(long offset, int whence) => 0;

    public override PollEvents Poll() => PollEvents.In | PollEvents.RdNorm;
}

internal sealed class DeviceFile(DeviceNode node, LinuxKernel kernel) : OpenFile
{
    public DeviceNode Node { get; } = node;

    public override uint Mode => Node.Mode;

    public override long InodeNumber => Node.Number;

    public override PollEvents Poll() => PollEvents.In | PollEvents.Out | PollEvents.RdNorm | PollEvents.WrNorm;

    public override long Seek(long offset, int whence) => 0;

    public override long Read(Span<byte> destination)
    {
        switch (Node.Kind)
        {
            case DeviceKind.Null: return 0;
            case DeviceKind.Zero: destination.Clear(); return destination.Length;
            default: kernel.Random.Fill(destination); return destination.Length;
        }
    }

    public override long Write(ReadOnlySpan<byte> source) => source.Length;
}

/// <summary>fd 0: bytes the host delivers, then end of file once the host closes it.</summary>
internal sealed class StdinFile(StandardInput input) : OpenFile
{
    public StandardInput Input { get; } = input;

    public override uint Mode => Inode.CharDevice | 0x180;

    public override long Read(Span<byte> destination)
    {
        if (Input.Buffer.Count > 0) return Input.Buffer.Read(destination);
        return Input.Ended ? 0 : WouldBlock;
    }

    public override long Write(ReadOnlySpan<byte> source) => -Errno.EBADF;

    public override PollEvents Poll() => Input.Buffer.Count > 0 || Input.Ended ? PollEvents.In | PollEvents.RdNorm : PollEvents.None;
}

internal sealed class StandardInput
{
    public ByteQueue Buffer { get; } = new();

    public bool Ended { get; set; }

    public long Received { get; set; }
}

/// <summary>fd 1 and 2: output the host releases when it may.</summary>
internal sealed class OutputFile(OutputStream stream, int limit) : OpenFile
{
    public OutputStream Stream { get; } = stream;

    public override uint Mode => Inode.CharDevice | 0x180;

    public override long Read(Span<byte> destination) => -Errno.EBADF;

    public override long Write(ReadOnlySpan<byte> source)
    {
        int room = limit - Stream.Pending.Count;
        if (room <= 0) return source.IsEmpty ? 0 : WouldBlock;
        int n = Math.Min(room, source.Length);
        Stream.Write(source[..n]);
        return n;
    }

    public override PollEvents Poll() => Stream.Pending.Count < limit ? PollEvents.Out | PollEvents.WrNorm : PollEvents.None;
}
