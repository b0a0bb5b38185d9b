using System.Buffers;
using System.Buffers.Binary;
using FaultTolerant.Guest.Kernel.Files;

namespace FaultTolerant.Guest.Kernel;

/// <summary>read, write, their vector and positioned forms, and the file-system syscalls.</summary>
internal sealed partial class LinuxKernel
{
    private const int AtRemoveDir = 0x200, AtEmptyPath = 0x1000;
    private const int FDupFd = 0, FGetFd = 1, FSetFd = 2, FGetFl = 3, FSetFl = 4, FDupFdCloexec = 1030;
    private const uint FionRead = 0x541B, FionBio = 0x5421;
    private const int StatSize = 128;

    private long Read(int fd, ulong buffer, ulong count)
    {
        var file = FileOf(fd);
        if (file is null || !file.CanRead) return -Errno.EBADF;
        int n = (int)Math.Min(count, MaxIoChunk);
        if (!_memory.IsWritable(buffer, (ulong)n)) return -Errno.EFAULT;
        var temp = ArrayPool<byte>.Shared.Rent(Math.Max(n, 1));
        try
        {
            long got = Complete(file.Read(temp.AsSpan(0, n)), file, "read");
            if (got > 0) _memory.TryWrite(buffer, temp.AsSpan(0, (int)got));
            return got;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(temp);
        }
    }

    private long Write(int fd, ulong buffer, ulong count)
    {
        var file = FileOf(fd);
        if (file is null || !file.CanWrite) return -Errno.EBADF;
        int n = (int)Math.Min(count, MaxIoChunk);
        var temp = ArrayPool<byte>.Shared.Rent(Math.Max(n, 1));
        try
        {
            if (!_memory.TryRead(buffer, temp.AsSpan(0, n))) return -Errno.EFAULT;
            return Complete(file.Write(temp.AsSpan(0, n)), file, "write");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(temp);
        }
    }

    /// <summary>Reads an iovec array: (base, length) pairs. Null on a fault or a bad count.</summary>
    private List<(ulong Base, ulong Length)>? ReadIovecs(ulong address, int count, out long error)
    {
        error = 0;
        if (count < 0 || count > 1024)
        {
            error = -Errno.EINVAL;
            return null;
        }
        var list = new List<(ulong, ulong)>(count);
        ulong total = 0;
        for (int i = 0; i < count; i++)
        {
            if (!TryReadU64(address + (ulong)i * 16, out var b) || !TryReadU64(address + (ulong)i * 16 + 8, out var l))
            {
                error = -Errno.EFAULT;
                return null;
            }
            total += l;
            if ((long)l < 0 || total > long.MaxValue)
            {
                error = -Errno.EINVAL;
                return null;
            }
            list.Add((b, l));
        }
        return list;
    }

    private long Readv(int fd, ulong iov, int count)
    {
        var file = FileOf(fd);
        if (file is null || !file.CanRead) return -Errno.EBADF;
        var vecs = ReadIovecs(iov, count, out var error);
        if (vecs is null) return error;
        int total = (int)Math.Min(vecs.Sum(v => (long)v.Length), MaxIoChunk);
        foreach (var (b, l) in vecs)
        {
            if (!_memory.IsWritable(b, l)) return -Errno.EFAULT;
        }
        var temp = new byte[total];
        long got = Complete(file.Read(temp), file, "readv");
        if (got <= 0) return got;
        int done = 0;
        foreach (var (b, l) in vecs)
        {
            int n = (int)Math.Min(l, (ulong)(got - done));
            _memory.TryWrite(b, temp.AsSpan(done, n));
            done += n;
            if (done == got) break;
        }
        return got;
    }

    private long Writev(int fd, ulong iov, int count)
    {
        var file = FileOf(fd);
        if (file is null || !file.CanWrite) return -Errno.EBADF;
        var vecs = ReadIovecs(iov, count, out var error);
        if (vecs is null) return error;
        // Gathered into one write, so the bytes of one writev are never interleaved with another stream's.
        var data = new byte[Math.Min(vecs.Sum(v => (long)v.Length), MaxIoChunk)];
        int done = 0;
        foreach (var (b, l) in vecs)
        {
            int n = (int)Math.Min(l, (ulong)(data.Length - done));
            if (!_memory.TryRead(b, data.AsSpan(done, n))) return -Errno.EFAULT;
            done += n;
        }
        return Complete(file.Write(data), file, "writev");
    }

    private long Pread(int fd, ulong buffer, ulong count, long offset)
    {
        if (FileOf(fd) is not { } file) return -Errno.EBADF;
        if (file is not RegularFile rf) return -Errno.ESPIPE;
        if (offset < 0) return -Errno.EINVAL;
        long saved = rf.Offset;
        rf.Offset = offset;
        long r = Read(fd, buffer, count);
        rf.Offset = saved;
        return r;
    }

    private long Pwrite(int fd, ulong buffer, ulong count, long offset)
    {
        if (FileOf(fd) is not { } file) return -Errno.EBADF;
        if (file is not RegularFile rf) return -Errno.ESPIPE;
        if (offset < 0) return -Errno.EINVAL;
        long saved = rf.Offset;
        int savedFlags = rf.Flags;
        rf.Offset = offset;
        rf.Flags &= ~OpenFile.OAppend;
        long r = Write(fd, buffer, count);
        rf.Offset = saved;
        rf.Flags = savedFlags;
        return r;
    }

    /// <summary>The directory a *at syscall starts from: the cwd (always /) for AT_FDCWD, else an open directory.</summary>
    private long StartDirectory(int dirfd, string path, out DirectoryNode start)
    {
        start = Files.Root;
        if (path.StartsWith('/') || dirfd == AtFdCwd) return 0;
        var file = FileOf(dirfd);
        if (file is null) return -Errno.EBADF;
        if (file is not DirectoryFile d) return -Errno.ENOTDIR;
        start = d.Node;
        return 0;
    }

    private long Lookup(int dirfd, ulong pathAddress, out DirectoryNode parent, out string leaf, out Inode? node)
    {
        parent = Files.Root;
        leaf = "";
        node = null;
        var raw = ReadPath(pathAddress);
        if (raw is null) return -Errno.EFAULT;
        string path = VirtualFileSystem.Name(raw);
        long r = StartDirectory(dirfd, path, out var start);
        return r != 0 ? r : Files.Resolve(start, path, out parent, out leaf, out node);
    }

    private long Openat(int dirfd, ulong pathAddress, int flags)
    {
        long r = Lookup(dirfd, pathAddress, out var parent, out var leaf, out var node);
        if (r != 0) return r;
        int access = flags & OpenFile.AccessModeMask;
        if (access == 3) return -Errno.EINVAL;
        bool cloexec = (flags & OpenFile.OCloexec) != 0;
        int status = flags & (OpenFile.AccessModeMask | OpenFile.OAppend | OpenFile.ONonblock);
        if (node is null)
        {
            if ((flags & OpenFile.OCreat) == 0) return -Errno.ENOENT;
            if ((flags & OpenFile.ODirectory) != 0) return -Errno.EINVAL;
            node = Files.CreateFile(parent, leaf);
        }
        else if ((flags & (OpenFile.OCreat | OpenFile.OExcl)) == (OpenFile.OCreat | OpenFile.OExcl))
        {
            return -Errno.EEXIST;
        }
        OpenFile file;
        switch (node)
        {
            case DirectoryNode dir:
                if (access != OpenFile.ReadOnly || (flags & OpenFile.OCreat) != 0 && leaf != ".") return -Errno.EISDIR;
                file = new DirectoryFile(dir);
                break;
            case FileNode f:
                if ((flags & OpenFile.ODirectory) != 0) return -Errno.ENOTDIR;
                if ((flags & OpenFile.OTrunc) != 0 && access != OpenFile.ReadOnly) f.Truncate(0);
                file = new RegularFile(f);
                break;
            case DeviceNode dev:
                if ((flags & OpenFile.ODirectory) != 0) return -Errno.ENOTDIR;
                file = new DeviceFile(dev, this);
                break;
            default:
                return -Errno.EINVAL;
        }
        file.Flags = status;
        return Install(file, cloexec);
    }

    private long Lseek(int fd, long offset, int whence) => FileOf(fd) is { } f ? f.Seek(offset, whence) : -Errno.EBADF;

    private long Fstat(int fd, ulong statAddress) =>
        FileOf(fd) is { } f ? WriteStat(statAddress, f.Mode, f.InodeNumber, f.Size) : -Errno.EBADF;

    private long Newfstatat(int dirfd, ulong pathAddress, ulong statAddress, int flags)
    {
        var raw = ReadPath(pathAddress);
        if (raw is null) return -Errno.EFAULT;
        if (raw.Length == 0 && (flags & AtEmptyPath) != 0)
        {
            return dirfd == AtFdCwd ? WriteStat(statAddress, Files.Root.Mode, Files.Root.Number, 0) : Fstat(dirfd, statAddress);
        }
        long r = Lookup(dirfd, pathAddress, out _, out _, out var node);
        if (r != 0) return r;
        if (node is null) return -Errno.ENOENT;
        return WriteStat(statAddress, node.Mode, node.Number, node is FileNode f ? f.Length : 0);
    }

    /// <summary>Writes struct stat as asm-generic defines it for riscv64 (128 bytes).</summary>
    private long WriteStat(ulong address, uint mode, long inode, long size)
    {
        Span<byte> st = stackalloc byte[StatSize];
        st.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(st[0..], 1);                  // st_dev
        BinaryPrimitives.WriteUInt64LittleEndian(st[8..], (ulong)inode);       // st_ino
        BinaryPrimitives.WriteUInt32LittleEndian(st[16..], mode);              // st_mode
        BinaryPrimitives.WriteUInt32LittleEndian(st[20..], (mode & Inode.TypeMask) == Inode.Directory ? 2u : 1u); // st_nlink
        BinaryPrimitives.WriteInt64LittleEndian(st[48..], size);               // st_size
        BinaryPrimitives.WriteInt32LittleEndian(st[56..], 4096);               // st_blksize
        BinaryPrimitives.WriteInt64LittleEndian(st[64..], (size + 511) / 512); // st_blocks
        return _memory.TryWrite(address, st) ? 0 : -Errno.EFAULT;
    }

    private long Unlinkat(int dirfd, ulong pathAddress, int flags)
    {
        if ((flags & ~AtRemoveDir) != 0) return -Errno.EINVAL;
        long r = Lookup(dirfd, pathAddress, out var parent, out var leaf, out var node);
        if (r != 0) return r;
        if (node is null) return -Errno.ENOENT;
        if (leaf is "." or ".." || node == Files.Root) return (flags & AtRemoveDir) != 0 ? -Errno.EINVAL : -Errno.EISDIR;
        if (node is DirectoryNode dir)
        {
            if ((flags & AtRemoveDir) == 0) return -Errno.EISDIR;
            if (dir.Children.Count > 0) return -Errno.ENOTEMPTY;
        }
        else if ((flags & AtRemoveDir) != 0)
        {
            return -Errno.ENOTDIR;
        }
        parent.Children.Remove(leaf);
        return 0;
    }

    private long Mkdirat(int dirfd, ulong pathAddress)
    {
        long r = Lookup(dirfd, pathAddress, out var parent, out var leaf, out var node);
        if (r != 0) return r;
        if (node is not null) return -Errno.EEXIST;
        Files.CreateDirectory(parent, leaf);
        return 0;
    }

    private long Getcwd(ulong buffer, ulong size)
    {
        if (size < 2) return -Errno.ERANGE;
        return _memory.TryWrite(buffer, "/\0"u8) ? 2 : -Errno.EFAULT;
    }

    private long Fcntl(int fd, int command, ulong argument)
    {
        if (!_fds.TryGetValue(fd, out var entry)) return -Errno.EBADF;
        switch (command)
        {
            case FGetFd:
                return entry.CloseOnExec ? 1 : 0;
            case FSetFd:
                _fds[fd] = entry with { CloseOnExec = (argument & 1) != 0 };
                return 0;
            case FGetFl:
                return entry.File.Flags;
            case FSetFl:
                const int changeable = OpenFile.OAppend | OpenFile.ONonblock;
                entry.File.Flags = (entry.File.Flags & ~changeable) | ((int)argument & changeable);
                return 0;
            case FDupFd or FDupFdCloexec:
                // One open file description per fd: duplicating would need shared offsets, which no guest here uses yet.
                return Unknown(Sys.Fcntl);
            default:
                return -Errno.EINVAL;
        }
    }

    private long Ioctl(int fd, ulong request, ulong argument)
    {
        var file = FileOf(fd);
        if (file is null) return -Errno.EBADF;
        switch ((uint)request)
        {
            case FionBio:
                if (!TryReadI32(argument, out var on)) return -Errno.EFAULT;
                file.Flags = on != 0 ? file.Flags | OpenFile.ONonblock : file.Flags & ~OpenFile.ONonblock;
                return 0;
            case FionRead:
                int available = file switch
                {
                    Sockets.SocketFile { Connection: { } c } => c.Input.Count,
                    StdinFile s => s.Input.Buffer.Count,
                    RegularFile rf => (int)Math.Max(0, rf.Node.Length - rf.Offset),
                    _ => 0,
                };
                return TryWriteI32(argument, available) ? 0 : -Errno.EFAULT;
            default:
                return -Errno.ENOTTY;
        }
    }
}
