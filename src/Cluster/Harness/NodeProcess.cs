using System.Diagnostics;

namespace FaultTolerant.Cluster.Harness;

/// <summary>How to start one <c>ft node</c> child process.</summary>
/// <param name="Name">A short name for people and for the log file (worker-a, witness).</param>
/// <param name="Role">worker or witness.</param>
/// <param name="Port">The Akka port; management listens on it + 1000.</param>
/// <param name="Seed">The seed node's Akka port.</param>
/// <param name="GatewayAddress">Where this node's gateways listen (127.0.0.x keeps nodes on one machine apart).</param>
/// <param name="DataDirectory">The node's data directory (kept across a restart).</param>
/// <param name="Token">The cluster's management token.</param>
/// <param name="LogFile">Every line the node prints, time-stamped, is appended here; null: only the last lines are kept.</param>
internal sealed record NodeSpec(string Name, string Role, int Port, int Seed, string GatewayAddress, string DataDirectory, string Token, string? LogFile)
{
    /// <summary>The node's own address: Akka's hostname, and where management listens (127.0.0.1: on loopback).</summary>
    public string Hostname { get; init; } = "127.0.0.1";

    /// <summary>The seed node's address (with <see cref="Seed"/>, its port).</summary>
    public string SeedHostname { get; init; } = "127.0.0.1";

    /// <summary>
    /// More seeds (host:port), tried alongside the first: a restarted node joins through whichever answers first, so one
    /// member whose remoting still holds the dead incarnation's state cannot keep it out.
    /// </summary>
    public IReadOnlyList<string> MoreSeeds { get; init; } = [];

    /// <summary>
    /// A command the node is started under, such as <c>ip netns exec NS</c> (empty: none). It must exec the node, so that
    /// the process started is the node itself and its signals (SIGKILL, SIGSTOP) reach the node.
    /// </summary>
    public IReadOnlyList<string> LaunchPrefix { get; init; } = [];

    /// <summary>HOCON written to DATA/node.conf and given to the node with <c>--config</c>; null: none.</summary>
    public string? Hocon { get; init; }
}

/// <summary>One <c>ft node</c> child process: started, signalled (SIGKILL, SIGSTOP, SIGCONT) and watched.</summary>
internal sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private StreamWriter? _log;

    private NodeProcess(NodeSpec spec, Process process, StreamWriter? log)
    {
        Spec = spec;
        _process = process;
        _log = log;
    }

    public NodeSpec Spec { get; }

    public string Name => Spec.Name;

    public int Port => Spec.Port;

    public int ManagementPort => Spec.Port + 1000;

    public string GatewayAddress => Spec.GatewayAddress;

    public string AkkaAddress => $"akka.tcp://ft@{Spec.Hostname}:{Spec.Port}";

    public int Pid => _process.Id;

    public bool Exited => _process.HasExited;

    /// <summary>
    /// Whether this process (this incarnation) has said it is registered with the coordinator: it has joined the cluster
    /// and reached the coordinator. A status alone cannot tell: the previous incarnation had the same address.
    /// </summary>
    public bool Registered => _registered;

    /// <summary>
    /// Whether this incarnation was admitted to the cluster (Akka's "Welcome from", or it formed the cluster): with its
    /// address Up in the status, it is this incarnation that is Up (an old one is removed before a new one may join).
    /// </summary>
    public bool Joined => _joined;

    private volatile bool _registered;
    private volatile bool _joined;

    /// <summary>Whether it is stopped by SIGSTOP (and not yet continued).</summary>
    public bool Paused { get; private set; }

    public static NodeProcess Start(NodeSpec spec)
    {
        var (file, prefix) = Self();
        string[] command = [.. spec.LaunchPrefix, file, .. prefix];
        var info = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in command.Skip(1)) info.ArgumentList.Add(a);
        foreach (var a in new[] { "node", "--role", spec.Role, "--port", $"{spec.Port}", "--seed", $"{spec.SeedHostname}:{spec.Seed}", "--data", spec.DataDirectory,
                     "--gateway-address", spec.GatewayAddress, "--token", spec.Token })
        {
            info.ArgumentList.Add(a);
        }
        foreach (var seed in spec.MoreSeeds)
        {
            info.ArgumentList.Add("--seed");
            info.ArgumentList.Add(seed);
        }
        if (spec.Hostname != "127.0.0.1")
        {
            info.ArgumentList.Add("--hostname");
            info.ArgumentList.Add(spec.Hostname);
        }
        if (spec.Hocon is { } hocon)
        {
            Directory.CreateDirectory(spec.DataDirectory);
            var config = Path.Combine(spec.DataDirectory, "node.conf");
            File.WriteAllText(config, hocon);
            info.ArgumentList.Add("--config");
            info.ArgumentList.Add(config);
        }
        StreamWriter? log = null;
        if (spec.LogFile is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            log = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        var node = new NodeProcess(spec, process, log);
        node.Keep($"--- started pid {process.Id}: ft node --role {spec.Role} --port {spec.Port}");
        process.ErrorDataReceived += (_, e) => node.Keep(e.Data);
        process.OutputDataReceived += (_, e) => node.Keep(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return node;
    }

    /// <summary>The ft program itself: its apphost, or <c>dotnet ft.dll</c> (also when hosted by another program, such as the benchmarks).</summary>
    private static (string File, string[] Prefix) Self()
    {
        var assembly = typeof(NodeProcess).Assembly.Location;
        var apphost = Path.Combine(Path.GetDirectoryName(assembly)!, OperatingSystem.IsWindows() ? "ft.exe" : "ft");
        if (Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "ft") return (path, []);
        if (File.Exists(apphost)) return (apphost, []);
        var dotnet = Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";
        return (dotnet, [assembly]);
    }

    /// <summary>Waiters for a line to come (<see cref="NextLine"/>). Guarded by <see cref="_tail"/>.</summary>
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];

    /// <summary>
    /// Completes with the first line this process prints from now on that <paramref name="match"/> accepts: a trigger
    /// as quick as the node itself, for a test that must act at a precise moment (status polling is far slower).
    /// </summary>
    public Task<string> NextLine(Func<string, bool> match)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_tail) _waiters.Add((match, seen));
        return seen.Task;
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_tail)
        {
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!_waiters[i].Match(line)) continue;
                _waiters[i].Seen.TrySetResult(line);
                _waiters.RemoveAt(i);
            }
        }
        if (!_registered && line.Contains("registered with the coordinator", StringComparison.Ordinal)) _registered = true;
        if (!_joined && (line.Contains("- Welcome from [", StringComparison.Ordinal) || line.Contains("is JOINING itself", StringComparison.Ordinal))) _joined = true;
        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > 20) _tail.Dequeue();
            try
            {
                _log?.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {line}");
            }
            catch (ObjectDisposedException)
            {
                // The harness is shutting down.
            }
        }
    }

    public string LastLines()
    {
        lock (_tail) return string.Join("\n", _tail);
    }

    /// <summary>SIGKILL: the process and its sockets vanish at once, as when its host dies.</summary>
    /// <remarks>
    /// Its log file is closed once it is gone: a restarted node appends to the same file through a new writer, and a
    /// second writer at its own, older position would overwrite the new incarnation's lines.
    /// </remarks>
    public void Kill()
    {
        bool killed = false;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                killed = true;
            }
            // The untimed wait also drains what the process printed before it died.
            if (_process.WaitForExit(5000)) _process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        if (killed) Keep("--- SIGKILL");
        lock (_tail)
        {
            _log?.Dispose();
            _log = null;
        }
    }

    /// <summary>SIGSTOP: the process is frozen (sockets open, nothing answered), as a long GC pause or a stalled VM.</summary>
    public void Pause()
    {
        if (Signal(19)) Paused = true;
        Keep("--- SIGSTOP");
    }

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume()
    {
        if (Signal(18)) Paused = false;
        Keep("--- SIGCONT");
    }

    private bool Signal(int signal)
    {
        if (_process.HasExited) return false;
        return Native.Kill(_process.Id, signal) == 0;
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private static class Native
    {
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);
    }
}
