using System.Diagnostics;
using FaultTolerant.Cluster.Harness;

namespace FaultTolerant.Cluster.Chaos;

/// <summary>A network command failed; the message has the command and what it said.</summary>
internal sealed class ChaosNetworkException(string message) : Exception(message);

/// <summary>
/// The campaign's network: each node in its own network namespace, joined to a bridge in the root namespace by a veth
/// pair, with an address in a private /24 (10.77.N.0/24, the bridge .1, node i .(i+2)); clients stay in the root
/// namespace and reach every node over the bridge. Partitions are iptables DROP rules inside the node namespaces only,
/// so nothing outside them changes: no other interface, route or firewall rule of the machine is touched.
/// </summary>
/// <remarks>
/// Every name starts with <see cref="Prefix"/> and this process's id (an interface name has at most 15 characters):
/// namespaces <c>ftc1234n0</c>, host-side veths <c>ftc1234h0</c>, the bridge <c>ftc1234br</c>. <see cref="Sweep"/> removes
/// what runs of processes that no longer exist left behind (a run killed with SIGKILL cannot clean up).
/// </remarks>
internal sealed class Network : IDisposable
{
    public const string Prefix = "ftc";

    private readonly string _run;
    private readonly int _subnet;
    private readonly int _nodes;
    private readonly Action<string> _say;
    private readonly HashSet<int> _cut = [];
    private int _disposed;

    private Network(string run, int subnet, int nodes, Action<string> say)
    {
        _run = run;
        _subnet = subnet;
        _nodes = nodes;
        _say = say;
    }

    public string BridgeAddress => $"10.77.{_subnet}.1";

    public string Address(int node) => $"10.77.{_subnet}.{node + 2}";

    public string Namespace(int node) => $"{_run}n{node}";

    private string HostVeth(int node) => $"{_run}h{node}";

    private string PeerVeth(int node) => $"{_run}p{node}";

    private string Bridge => $"{_run}br";

    public NodePlacement Placement(int node) => new(Address(node), ["ip", "netns", "exec", Namespace(node)]);

    /// <summary>Whether namespaces can be used here; if not, why (not root, no <c>ip netns</c>, no iptables).</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux()) return "network namespaces need Linux";
        if (Environment.UserName != "root" && !IsRoot()) return "not root: network namespaces and iptables need root";
        if (Run("ip", ["netns", "list"], check: false).Code != 0) return "`ip netns` is not available (iproute2)";
        if (Run("iptables", ["--version"], check: false).Code != 0) return "iptables is not installed";
        return null;
    }

    private static bool IsRoot() => File.Exists("/proc/self/status")
        && File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal)) is { } uid
        && uid.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) == "0";

    /// <summary>Creates the bridge, the namespaces and their links for <paramref name="nodes"/> nodes.</summary>
    /// <exception cref="ChaosNetworkException">A command failed (what was made so far is removed).</exception>
    public static Network Create(int nodes, Action<string> say)
    {
        Sweep(say);
        string run = $"{Prefix}{Environment.ProcessId}";
        // What this process made before and did not remove (a test process makes one network after another under one
        // name, and the sweep leaves a live owner's alone).
        Remove(run, 0, say);
        var network = new Network(run, FreeSubnet(), nodes, say);
        try
        {
            network.Build();
        }
        catch
        {
            network.Dispose();
            throw;
        }
        return network;
    }

    private void Build()
    {
        Ip("link", "add", Bridge, "type", "bridge");
        Ip("addr", "add", $"{BridgeAddress}/24", "dev", Bridge);
        Ip("link", "set", Bridge, "up");
        for (int i = 0; i < _nodes; i++)
        {
            Ip("netns", "add", Namespace(i));
            Ip("link", "add", HostVeth(i), "type", "veth", "peer", "name", PeerVeth(i));
            Ip("link", "set", PeerVeth(i), "netns", Namespace(i));
            Ip("link", "set", HostVeth(i), "master", Bridge, "up");
            Ip("-n", Namespace(i), "addr", "add", $"{Address(i)}/24", "dev", PeerVeth(i));
            Ip("-n", Namespace(i), "link", "set", PeerVeth(i), "up");
            Ip("-n", Namespace(i), "link", "set", "lo", "up");
        }
    }

    /// <summary>
    /// Cuts traffic between the two sides: every node in <paramref name="side"/> drops what comes from the others and
    /// sends them nothing, and they likewise. Clients (the bridge's address) still reach every node.
    /// </summary>
    public void Isolate(IReadOnlyCollection<int> side)
    {
        var others = Enumerable.Range(0, _nodes).Where(n => !side.Contains(n)).ToList();
        foreach (int a in side)
        {
            foreach (int b in others)
            {
                Drop(a, b);
                Drop(b, a);
            }
        }
    }

    /// <summary>Cuts the link between two nodes only, both ways; each still reaches every other node.</summary>
    public void Cut(int a, int b)
    {
        Drop(a, b);
        Drop(b, a);
    }

    /// <summary>One way: <paramref name="deaf"/> no longer hears <paramref name="speaker"/>; the other direction still works.</summary>
    public void CutOneWay(int speaker, int deaf) => Iptables(deaf, "-A", "INPUT", "-s", Address(speaker), "-j", "DROP");

    /// <summary>Removes every rule this network added (all of them live in its own namespaces).</summary>
    public void Heal()
    {
        foreach (int n in _cut.ToList())
        {
            Iptables(n, "-F", "INPUT");
            Iptables(n, "-F", "OUTPUT");
            _cut.Remove(n);
        }
    }

    /// <summary><paramref name="node"/> drops everything from <paramref name="peer"/> and sends it nothing.</summary>
    private void Drop(int node, int peer)
    {
        Iptables(node, "-A", "INPUT", "-s", Address(peer), "-j", "DROP");
        Iptables(node, "-A", "OUTPUT", "-d", Address(peer), "-j", "DROP");
    }

    private void Iptables(int node, params string[] args)
    {
        _cut.Add(node);
        Run("ip", ["netns", "exec", Namespace(node), "iptables", "-w", "5", .. args], check: true);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Remove(_run, _nodes, _say);
    }

    /// <summary>Removes a run's processes, namespaces, links and bridge; whatever is already gone is skipped.</summary>
    private static void Remove(string run, int nodes, Action<string> say)
    {
        var namespaces = Namespaces().Where(n => Owner(n) == run).ToList();
        foreach (var ns in namespaces)
        {
            // Nodes the harness did not get to kill (ft chaos itself killed) must not keep the namespace alive.
            var pids = Run("ip", ["netns", "pids", ns], check: false).Output;
            foreach (var pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (int.TryParse(pid, out int p)) Run("kill", ["-9", $"{p}"], check: false);
            }
            Run("ip", ["netns", "del", ns], check: false);
        }
        foreach (var link in Links().Where(l => Owner(l) == run)) Run("ip", ["link", "del", link], check: false);
        if (namespaces.Count > 0 || nodes > 0) say($"network {run}: removed {namespaces.Count} namespace(s) and the bridge");
    }

    /// <summary>Removes what earlier runs left: names with <see cref="Prefix"/> whose process is gone (or is not ft chaos any more).</summary>
    public static void Sweep(Action<string> say)
    {
        var stale = Namespaces().Concat(Links()).Select(Owner).Where(o => o is not null).Distinct().Where(o => !Alive(o!)).ToList();
        foreach (var run in stale) Remove(run!, 0, say);
    }

    /// <summary>The run a name belongs to (<c>ftc1234</c> of <c>ftc1234n0</c>), or null for a name that is not ours.</summary>
    private static string? Owner(string name)
    {
        if (!name.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        int end = Prefix.Length;
        while (end < name.Length && char.IsAsciiDigit(name[end])) end++;
        return end > Prefix.Length ? name[..end] : null;
    }

    private static bool Alive(string run)
    {
        var pid = run[Prefix.Length..];
        var cmdline = $"/proc/{pid}/cmdline";
        try
        {
            // ft chaos, or a test process of ours (its command line names the test assembly): a reused pid is neither.
            return File.Exists(cmdline) && File.ReadAllText(cmdline) is var line
                && (line.Contains("chaos", StringComparison.Ordinal) || line.Contains("FaultTolerant", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static IEnumerable<string> Namespaces() =>
        Run("ip", ["netns", "list"], check: false).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')[0].Trim()).Where(n => n.StartsWith(Prefix, StringComparison.Ordinal));

    private static IEnumerable<string> Links() =>
        Run("ip", ["-o", "link", "show"], check: false).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 3).ElementAtOrDefault(1)?.Trim().Split('@')[0] ?? "")
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal));

    /// <summary>A 10.77.N.0/24 no interface of this machine has an address in (N from this process's id, then the next free).</summary>
    private static int FreeSubnet()
    {
        var used = Run("ip", ["-o", "-4", "addr", "show"], check: false).Output;
        int start = (Environment.ProcessId % 200) + 20;
        for (int i = 0; i < 200; i++)
        {
            int n = ((start - 20 + i) % 200) + 20;
            if (!used.Contains($" 10.77.{n}.", StringComparison.Ordinal)) return n;
        }
        throw new ChaosNetworkException("no free 10.77.N.0/24 subnet");
    }

    private void Ip(params string[] args) => Run("ip", args, check: true);

    private static (int Code, string Output) Run(string file, IReadOnlyList<string> args, bool check)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        string command = $"{file} {string.Join(' ', args)}";
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new ChaosNetworkException($"{command}: could not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            if (check) throw new ChaosNetworkException($"{command}: {e.Message}");
            return (127, "");
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(15)))
            {
                process.Kill();
                if (check) throw new ChaosNetworkException($"{command}: no answer in 15 s");
                return (124, "");
            }
            process.WaitForExit();
            if (check && process.ExitCode != 0) throw new ChaosNetworkException($"{command}: exit {process.ExitCode}: {error.Result.Trim()}");
            return (process.ExitCode, output.Result);
        }
    }
}
