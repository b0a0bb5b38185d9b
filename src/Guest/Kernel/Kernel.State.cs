using FaultTolerant.Guest.Kernel.Files;
using FaultTolerant.Guest.Kernel.Sockets;
using FaultTolerant.Guest.State;

namespace FaultTolerant.Guest.Kernel;

/// <summary>What a kernel-state write is for.</summary>
internal enum KernelWriteMode
{
    /// <summary>Every file's contents; clears the modified marks.</summary>
    Full,

    /// <summary>Contents only of files modified since the last capture; clears the marks.</summary>
    Delta,

    /// <summary>Like Full, but changes nothing and leaves out the host-dependent capture time: for the state hash.</summary>
    Hash,
}

/// <summary>Capture and restore of the kernel: the whole fd table, file tree, sockets, clock and entropy.</summary>
internal sealed partial class LinuxKernel
{
    private enum NodeKind : byte { Directory = 1, File = 2, Device = 3 }

    private enum FdKind : byte { Stdin = 1, Stdout = 2, Stderr = 3, Regular = 4, Directory = 5, Device = 6, Socket = 7 }

    public void Save(StateWriter w, KernelWriteMode mode)
    {
        w.U64(BrkStart);
        w.U64(BrkCurrent);
        w.U64(MmapHint);
        w.I64(NextConnectionId);
        w.I32(NextEphemeralPort);
        w.I64(Files.NextInode);
        w.I64(ExitCode);
        w.I64(Clock.HighWater);
        w.I64(Clock.Skipped);
        w.I64(mode == KernelWriteMode.Hash ? 0 : Clock.Peek());
        var (s0, s1, s2, s3) = Random.State;
        w.U64(s0);
        w.U64(s1);
        w.U64(s2);
        w.U64(s3);
        w.Bool(_restartDeadline is not null);
        w.I64(_restartDeadline ?? 0);
        w.I32(_unknownSyscalls.Count);
        foreach (var (nr, count) in _unknownSyscalls)
        {
            w.I64(nr);
            w.I64(count);
        }

        bool all = mode != KernelWriteMode.Delta;
        bool clear = mode != KernelWriteMode.Hash;
        SaveNode(w, Files.Root, all, clear);
        var reachable = Files.AllNodes().Select(n => n.Number).ToHashSet();
        var orphans = _fds.Values.Select(e => e.File).OfType<RegularFile>().Select(f => f.Node)
            .Where(n => !reachable.Contains(n.Number)).DistinctBy(n => n.Number).OrderBy(n => n.Number).ToList();
        w.I32(orphans.Count);
        foreach (var o in orphans) SaveNode(w, o, all, clear);

        w.Bytes(Stdin.Buffer.Span);
        w.Bool(Stdin.Ended);
        w.I64(Stdin.Received);
        SaveStream(w, Stdout);
        SaveStream(w, Stderr);

        w.I32(_portsInUse.Count);
        foreach (var p in _portsInUse) w.I32(p);
        w.I32(_listeners.Count);
        foreach (var l in _listeners.Values)
        {
            w.I32(l.Port);
            w.I32(l.Backlog);
            w.I32(l.Pending.Count);
            foreach (var id in l.Pending) w.I64(id);
        }
        w.I32(_connections.Count);
        foreach (var c in _connections.Values)
        {
            w.I64(c.Id);
            w.I32(c.LocalPort);
            w.I32((int)c.PeerAddress);
            w.I32(c.PeerPort);
            w.Bytes(c.Input.Span);
            w.I64(c.Received);
            w.U8((byte)((c.PeerEnded ? 1 : 0) | (c.PeerGone ? 2 : 0) | (c.ShutRead ? 4 : 0) | (c.GuestClosed ? 8 : 0) | (c.Accepted ? 16 : 0)));
            SaveStream(w, c.Output);
        }

        w.I32(_fds.Count);
        foreach (var (fd, entry) in _fds)
        {
            w.I32(fd);
            w.Bool(entry.CloseOnExec);
            w.I32(entry.File.Flags);
            switch (entry.File)
            {
                case StdinFile:
                    w.U8((byte)FdKind.Stdin);
                    break;
                case OutputFile o:
                    w.U8((byte)(o.Stream == Stdout ? FdKind.Stdout : FdKind.Stderr));
                    break;
                case RegularFile r:
                    w.U8((byte)FdKind.Regular);
                    w.I64(r.Node.Number);
                    w.I64(r.Offset);
                    break;
                case DirectoryFile d:
                    w.U8((byte)FdKind.Directory);
                    w.I64(d.Node.Number);
                    break;
                case DeviceFile v:
                    w.U8((byte)FdKind.Device);
                    w.I64(v.Node.Number);
                    break;
                case SocketFile s:
                    w.U8((byte)FdKind.Socket);
                    w.U8((byte)s.State);
                    w.I32(s.Port);
                    w.I32((int)s.BoundAddress);
                    w.I64(s.Connection?.Id ?? -1);
                    w.I32(s.Options.Count);
                    foreach (var ((level, name), value) in s.Options)
                    {
                        w.I32(level);
                        w.I32(name);
                        w.I32(value);
                    }
                    break;
                default:
                    throw new InvalidOperationException($"no state format for {entry.File.GetType().Name}");
            }
        }
    }

    private static void SaveStream(StateWriter w, OutputStream s)
    {
        w.I64(s.Sent);
        w.Bool(s.Closed);
        w.Bytes(s.Pending.Span);
    }

    private static void SaveNode(StateWriter w, Inode node, bool contents, bool clearModified)
    {
        w.I64(node.Number);
        switch (node)
        {
            case DirectoryNode d:
                w.U8((byte)NodeKind.Directory);
                w.I32(d.Children.Count);
                foreach (var (name, child) in d.Children)
                {
                    w.String(name);
                    SaveNode(w, child, contents, clearModified);
                }
                break;
            case FileNode f:
                w.U8((byte)NodeKind.File);
                bool include = contents || f.Modified;
                w.Bool(include);
                if (include) w.Bytes(f.Contents);
                if (clearModified) f.Modified = false;
                break;
            case DeviceNode v:
                w.U8((byte)NodeKind.Device);
                w.U8((byte)v.Kind);
                break;
        }
    }

    /// <summary>Replaces this (fresh) kernel's state with a saved one.</summary>
    /// <param name="previous">The kernel state the saved one is a delta against; unchanged files take their contents from it.</param>
    /// <returns>The guest monotonic time at capture.</returns>
    public long Load(ref StateReader r, LinuxKernel? previous)
    {
        BrkStart = r.U64();
        BrkCurrent = r.U64();
        MmapHint = r.U64();
        NextConnectionId = r.I64();
        NextEphemeralPort = r.I32();
        Files.NextInode = r.I64();
        ExitCode = (int)r.I64();
        Clock.HighWater = r.I64();
        Clock.Skipped = r.I64();
        long capturedAt = r.I64();
        Random.State = (r.U64(), r.U64(), r.U64(), r.U64());
        bool hasDeadline = r.Bool();
        long deadline = r.I64();
        _restartDeadline = hasDeadline ? deadline : null;
        _unknownSyscalls.Clear();
        for (int n = r.Count(16); n > 0; n--) _unknownSyscalls[r.I64()] = r.I64();

        var previousFiles = previous?.AllFileNodes() ?? [];
        var nodes = new Dictionary<long, Inode>();
        if (LoadNode(ref r, null, previousFiles, nodes) is not DirectoryNode root) throw new CorruptStateException("the file tree's root is not a directory");
        root.Parent = root;
        Files.ReplaceRoot(root);
        for (int n = r.Count(9); n > 0; n--) LoadNode(ref r, null, previousFiles, nodes);

        Stdin.Buffer.Clear();
        Stdin.Buffer.Append(r.Bytes());
        Stdin.Ended = r.Bool();
        Stdin.Received = r.I64();
        LoadStream(ref r, Stdout);
        LoadStream(ref r, Stderr);

        _portsInUse.Clear();
        for (int n = r.Count(4); n > 0; n--) _portsInUse.Add(r.I32());
        _listeners.Clear();
        for (int n = r.Count(12); n > 0; n--)
        {
            var l = new Listener(r.I32(), r.I32());
            for (int k = r.Count(8); k > 0; k--) l.Pending.Enqueue(r.I64());
            _listeners[l.Port] = l;
        }
        _connections.Clear();
        for (int n = r.Count(30); n > 0; n--)
        {
            var c = new Connection(r.I64(), r.I32(), (uint)r.I32(), r.I32());
            c.Input.Append(r.Bytes());
            c.Received = r.I64();
            byte flags = r.U8();
            (c.PeerEnded, c.PeerGone, c.ShutRead, c.GuestClosed, c.Accepted) =
                ((flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, (flags & 8) != 0, (flags & 16) != 0);
            LoadStream(ref r, c.Output);
            _connections[c.Id] = c;
        }
        foreach (var l in _listeners.Values)
        {
            if (l.Pending.Any(id => !_connections.ContainsKey(id))) throw new CorruptStateException($"listener {l.Port} holds an unknown connection");
        }

        _fds.Clear();
        for (int n = r.Count(10); n > 0; n--)
        {
            int fd = r.I32();
            bool cloexec = r.Bool();
            int flags = r.I32();
            OpenFile file = (FdKind)r.U8() switch
            {
                FdKind.Stdin => new StdinFile(Stdin),
                FdKind.Stdout => new OutputFile(Stdout, Limits.OutputBuffer),
                FdKind.Stderr => new OutputFile(Stderr, Limits.OutputBuffer),
                FdKind.Regular => new RegularFile(Node<FileNode>(nodes, r.I64())) { Offset = r.I64() },
                FdKind.Directory => new DirectoryFile(Node<DirectoryNode>(nodes, r.I64())),
                FdKind.Device => new DeviceFile(Node<DeviceNode>(nodes, r.I64()), this),
                FdKind.Socket => LoadSocket(ref r),
                var k => throw new CorruptStateException($"unknown descriptor kind {k}"),
            };
            file.Flags = flags;
            if (fd is < 0 or >= MaxFds) throw new CorruptStateException($"descriptor {fd} out of range");
            _fds[fd] = new FdEntry(file, cloexec);
        }
        return capturedAt;
    }

    private SocketFile LoadSocket(ref StateReader r)
    {
        var s = new SocketFile(this) { State = (SocketState)r.U8(), Port = r.I32(), BoundAddress = (uint)r.I32() };
        long connection = r.I64();
        if (connection >= 0)
        {
            s.Connection = _connections.TryGetValue(connection, out var c) ? c : throw new CorruptStateException($"socket refers to unknown connection {connection}");
        }
        for (int n = r.Count(12); n > 0; n--) s.Options[(r.I32(), r.I32())] = r.I32();
        return s;
    }

    private static T Node<T>(Dictionary<long, Inode> nodes, long number) where T : Inode =>
        nodes.TryGetValue(number, out var n) && n is T t ? t : throw new CorruptStateException($"descriptor refers to missing inode {number}");

    private static void LoadStream(ref StateReader r, OutputStream s)
    {
        s.Sent = r.I64();
        s.Closed = r.Bool();
        s.Pending.Clear();
        s.Pending.Append(r.Bytes());
        if (s.Pending.Count > s.Sent) throw new CorruptStateException($"stream {s.Id} holds more bytes than it sent");
    }

    private Dictionary<long, FileNode> AllFileNodes()
    {
        var all = Files.AllNodes().OfType<FileNode>().ToDictionary(f => f.Number);
        foreach (var f in _fds.Values.Select(e => e.File).OfType<RegularFile>()) all.TryAdd(f.Node.Number, f.Node);
        return all;
    }

    private static Inode LoadNode(ref StateReader r, DirectoryNode? parent, Dictionary<long, FileNode> previous, Dictionary<long, Inode> nodes)
    {
        long number = r.I64();
        Inode node;
        switch ((NodeKind)r.U8())
        {
            case NodeKind.Directory:
                var dir = new DirectoryNode(number, parent);
                node = dir;
                nodes[number] = node;
                for (int n = r.Count(10); n > 0; n--)
                {
                    string name = r.String();
                    dir.Children[name] = LoadNode(ref r, dir, previous, nodes);
                }
                break;
            case NodeKind.File:
                var file = new FileNode(number) { Modified = false };
                if (r.Bool()) file.SetContents(r.Bytes());
                else if (previous.TryGetValue(number, out var old)) file.SetContents(old.Contents);
                else throw new CorruptStateException($"delta keeps file {number} unchanged, but the base state has no such file");
                node = file;
                break;
            case NodeKind.Device:
                var kind = (DeviceKind)r.U8();
                if (!Enum.IsDefined(kind)) throw new CorruptStateException($"unknown device kind {kind}");
                node = new DeviceNode(number, kind);
                break;
            default:
                throw new CorruptStateException("unknown inode kind");
        }
        nodes[number] = node;
        return node;
    }
}
