using System.Text;

namespace FaultTolerant.Guest.Kernel.Files;

/// <summary>The guest's file tree. The host's disk is never reachable from here.</summary>
internal sealed class VirtualFileSystem
{
    public const int PathMax = 4096;
    public const int NameMax = 255;

    /// <summary>The largest file a guest may grow (EFBIG past it).</summary>
    public const long FileSizeMax = 1L << 30;

    public VirtualFileSystem()
    {
        Root = new DirectoryNode(1, null);
        Root.Parent = Root;
        NextInode = 2;
    }

    public DirectoryNode Root { get; private set; }

    public long NextInode { get; set; }

    /// <summary>The standard tree of a new guest: /tmp and the three devices.</summary>
    public static VirtualFileSystem CreateDefault()
    {
        var fs = new VirtualFileSystem();
        fs.CreateDirectory(fs.Root, "tmp");
        var dev = fs.CreateDirectory(fs.Root, "dev");
        dev.Children["null"] = new DeviceNode(fs.NextInode++, DeviceKind.Null);
        dev.Children["zero"] = new DeviceNode(fs.NextInode++, DeviceKind.Zero);
        dev.Children["urandom"] = new DeviceNode(fs.NextInode++, DeviceKind.Random);
        return fs;
    }

    public void ReplaceRoot(DirectoryNode root) => Root = root;

    public DirectoryNode CreateDirectory(DirectoryNode parent, string name)
    {
        var dir = new DirectoryNode(NextInode++, parent);
        parent.Children[name] = dir;
        return dir;
    }

    public FileNode CreateFile(DirectoryNode parent, string name)
    {
        var file = new FileNode(NextInode++);
        parent.Children[name] = file;
        return file;
    }

    /// <summary>Writes a file at an absolute path, creating directories on the way (for hosts seeding a guest).</summary>
    public void Seed(string path, ReadOnlySpan<byte> contents)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new ArgumentException("a file path is needed", nameof(path));
        var dir = Root;
        foreach (var part in parts[..^1])
        {
            dir = dir.Children.TryGetValue(part, out var n) ? n as DirectoryNode ?? throw new ArgumentException($"{part} is not a directory", nameof(path))
                                                            : CreateDirectory(dir, part);
        }
        var file = dir.Children.TryGetValue(parts[^1], out var existing) ? existing as FileNode ?? throw new ArgumentException($"{path} is not a file", nameof(path))
                                                                        : CreateFile(dir, parts[^1]);
        file.Truncate(0);
        file.WriteAt(0, contents);
    }

    /// <summary>Guest paths are bytes; Latin-1 maps each byte to one char and back, so no name is altered.</summary>
    public static string Name(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>
    /// Resolves a path to its parent directory and last component. The node is null when the last
    /// component does not exist (which is fine for a create).
    /// </summary>
    /// <returns>0, or a negative errno: ENOENT, ENOTDIR, ENAMETOOLONG.</returns>
    public long Resolve(DirectoryNode start, string path, out DirectoryNode parent, out string leaf, out Inode? node)
    {
        parent = start;
        leaf = ".";
        node = null;
        if (path.Length == 0) return -Errno.ENOENT;
        if (path.Length >= PathMax) return -Errno.ENAMETOOLONG;
        var dir = path[0] == '/' ? Root : start;
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            parent = dir;
            node = dir;
            return 0;
        }
        for (int i = 0; i < parts.Length - 1; i++)
        {
            if (parts[i].Length > NameMax) return -Errno.ENAMETOOLONG;
            var next = Step(dir, parts[i]);
            if (next is null) return -Errno.ENOENT;
            if (next is not DirectoryNode d) return -Errno.ENOTDIR;
            dir = d;
        }
        leaf = parts[^1];
        if (leaf.Length > NameMax) return -Errno.ENAMETOOLONG;
        parent = dir;
        node = Step(dir, leaf);
        if (path.EndsWith('/') && node is not null and not DirectoryNode) return -Errno.ENOTDIR;
        return 0;
    }

    private static Inode? Step(DirectoryNode dir, string name) => name switch
    {
        "." => dir,
        ".." => dir.Parent,
        _ => dir.Children.GetValueOrDefault(name),
    };

    public IEnumerable<Inode> AllNodes()
    {
        var stack = new Stack<Inode>();
        stack.Push(Root);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            yield return n;
            if (n is DirectoryNode d)
            {
                foreach (var c in d.Children.Values) stack.Push(c);
            }
        }
    }
}
