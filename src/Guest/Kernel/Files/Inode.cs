namespace FaultTolerant.Guest.Kernel.Files;

/// <summary>A node of the guest's virtual file system. Its contents are guest state.</summary>
internal abstract class Inode(long number)
{
    public long Number { get; } = number;

    public abstract uint Mode { get; }

    public const uint TypeMask = 0xF000, Regular = 0x8000, Directory = 0x4000, CharDevice = 0x2000;
}

internal sealed class DirectoryNode(long number, DirectoryNode? parent) : Inode(number)
{
    public DirectoryNode Parent { get; set; } = parent!;

    public SortedDictionary<string, Inode> Children { get; } = new(StringComparer.Ordinal);

    public override uint Mode => Directory | 0x1ED; // 0755
}

internal sealed class FileNode(long number) : Inode(number)
{
    private byte[] _data = [];

    public long Length { get; private set; }

    /// <summary>Changed since the last capture, so a delta must carry its contents.</summary>
    public bool Modified { get; set; } = true;

    public override uint Mode => Regular | 0x1A4; // 0644

    public ReadOnlySpan<byte> Contents => _data.AsSpan(0, (int)Length);

    public int ReadAt(long offset, Span<byte> destination)
    {
        if (offset >= Length) return 0;
        int n = (int)Math.Min(destination.Length, Length - offset);
        _data.AsSpan((int)offset, n).CopyTo(destination);
        return n;
    }

    public void WriteAt(long offset, ReadOnlySpan<byte> source)
    {
        long end = offset + source.Length;
        if (end > _data.Length) Array.Resize(ref _data, (int)Math.Max(end, Math.Min(int.MaxValue, _data.Length * 2L)));
        if (offset > Length) _data.AsSpan((int)Length, (int)(offset - Length)).Clear();
        source.CopyTo(_data.AsSpan((int)offset));
        Length = Math.Max(Length, end);
        Modified = true;
    }

    public void Truncate(long length)
    {
        if (length > _data.Length) Array.Resize(ref _data, (int)length);
        if (length > Length) _data.AsSpan((int)Length, (int)(length - Length)).Clear();
        Length = length;
        Modified = true;
    }

    public void SetContents(ReadOnlySpan<byte> contents)
    {
        _data = contents.ToArray();
        Length = contents.Length;
    }
}

/// <summary>The character devices a guest may open: /dev/null, /dev/zero, /dev/urandom.</summary>
internal enum DeviceKind : byte
{
    Null = 1,
    Zero = 2,
    Random = 3,
}

internal sealed class DeviceNode(long number, DeviceKind kind) : Inode(number)
{
    public DeviceKind Kind { get; } = kind;

    public override uint Mode => CharDevice | 0x1B6; // 0666
}
