using Akka.Event;
using System.IO.Hashing;
using System.Text.RegularExpressions;
using Akka.Actor;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Actors;

namespace FaultTolerant.Cluster.Placement;

/// <summary>Requests from the command line: start, stop, planned switchover. A refused request changes nothing.</summary>
public sealed partial class PlacementCoordinator
{
    /// <summary>The largest image accepted: it travels once, in one remoting message (see akka.remote maximum-frame-size).</summary>
    public const int MaxImageBytes = 4 << 20;

    /// <summary>How long a worker has to answer <see cref="CheckPorts"/>: a bind per port and a round trip, on a loaded node.</summary>
    private static readonly TimeSpan PortCheckTimeout = TimeSpan.FromSeconds(2);

    private static readonly Regex GuestName = new("^[a-z0-9][a-z0-9-]{0,39}$", RegexOptions.CultureInvariant);

    private async Task OnStartGuest(StartGuest start)
    {
        var sender = Sender;
        if (Refusal(start) is { } refusal)
        {
            sender.Tell(new CommandResult(false, refusal.Message, null, refusal.Reason));
            return;
        }
        if (await PortsTaken(start) is { } taken)
        {
            sender.Tell(new CommandResult(false, taken, null, RefusalReason.PortUnavailable));
            return;
        }
        var workers = EligibleWorkers();
        var chosen = workers.OrderBy(Load).ThenBy(n => n.Address, StringComparer.Ordinal).Take(start.Replicas + 1).ToList();
        // The primary avoids the coordinator's own node when it can: losing that node would take the coordinator with it,
        // and the failover would wait for the singleton to move (the failure detector and the downing).
        var primary = chosen.OrderBy(n => n.Address == SelfAddress ? 1 : 0).First();
        var backups = chosen.Where(n => n != primary).ToList();
        var entry = new GuestEntry(start.Name, (ulong)Random.Shared.NextInt64(1, long.MaxValue), Convert.ToHexStringLower(XxHash128.Hash(start.Image)),
            start.Args, start.Ports, start.Replicas, 1, primary.Address, [.. backups.Select(b => b.Address)], primary.Ingress, "starting");
        if (!await WriteMajority(start.Name, entry))
        {
            sender.Tell(new CommandResult(false, "no majority of the cluster acknowledged the new guest; nothing was started", null, RefusalReason.NoMajority));
            return;
        }
        _log.Info("guest {0} generation 1: placed: primary {1}, backups [{2}]", start.Name, primary.Address, string.Join(", ", entry.Backups));
        RunGuestResult result;
        try
        {
            result = await primary.Agent.Ask<RunGuestResult>(new RunGuest(entry, start.Image, [.. backups.Select(b => b.Replicas)]), _settings.AskTimeout);
        }
        catch (AskTimeoutException)
        {
            result = new RunGuestResult(start.Name, 1, false, $"node {primary.Address} did not answer within {_settings.AskTimeout.TotalSeconds:0.#} s");
        }
        if (!result.Ok)
        {
            // Nothing runs: the row goes, so the request changed nothing.
            await WriteMajority(start.Name, null);
            // The image was loaded before placing, so a failure here is the node's (busy, stopping, slow), unless it says otherwise.
            var reason = result.Message.Contains("the image cannot run", StringComparison.Ordinal) ? RefusalReason.InvalidRequest : RefusalReason.NodeUnavailable;
            sender.Tell(new CommandResult(false, $"guest {start.Name} could not start: {result.Message}", null, reason));
            return;
        }
        entry = entry with { Phase = entry.Backups.Length == 0 ? "unprotected" : "running" };
        await WriteMajority(start.Name, entry);
        sender.Tell(new CommandResult(true, $"guest {start.Name} started: primary {primary.Address}, backups [{string.Join(", ", entry.Backups)}]", entry));
    }

    /// <summary>
    /// Why an image of <paramref name="length"/> bytes is refused, or null. The management endpoint asks this too, before
    /// handing the image to a coordinator on another node: remoting drops a message over its frame size unanswered.
    /// </summary>
    public static string? ImageSizeRefusal(int length) =>
        length == 0 ? "the image is empty"
        : length > MaxImageBytes ? $"the image is {length} bytes; at most {MaxImageBytes} are accepted"
        : null;

    /// <summary>Why a start request cannot be done, or null. Checked before anything changes.</summary>
    private (RefusalReason Reason, string Message)? Refusal(StartGuest start)
    {
        if (!HasMajority()) return (RefusalReason.NoMajority, "the coordinator does not see a majority of the cluster; it decides nothing until it does");
        if (!GuestName.IsMatch(start.Name)) return Invalid($"'{start.Name}' is not a guest name: 1-40 lower-case letters, digits and dashes, starting with a letter or digit");
        if (_table.ContainsKey(start.Name)) return (RefusalReason.AlreadyExists, $"a guest named {start.Name} already exists");
        if (ImageSizeRefusal(start.Image.Length) is { } size) return Invalid(size);
        try
        {
            // The loader's checks, before anything is placed: a bad image is refused here, with the loader's reason.
            Rv64Guest.Load(start.Image, [start.Name, .. start.Args]);
        }
        catch (InvalidElfException e)
        {
            return Invalid($"the image cannot run: {e.Message}");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return Invalid($"the image cannot run: {e.Message}");
        }
        if (start.Replicas < 0 || start.Replicas > 8) return Invalid($"--replicas {start.Replicas}: between 0 and 8 backups");
        foreach (var p in start.Ports)
        {
            if (p.GuestPort is < 1 or > 65535 || p.ClusterPort is < 1 or > 65535) return Invalid($"port mapping {p} is out of range (1-65535)");
            if (_table.Values.FirstOrDefault(g => g.Ports.Any(q => q.ClusterPort == p.ClusterPort)) is { } other)
            {
                return Invalid($"cluster port {p.ClusterPort} is already exposed by guest {other.Name}");
            }
        }
        if (start.Ports.Select(p => p.ClusterPort).Distinct().Count() != start.Ports.Length) return Invalid("a cluster port is exposed twice");
        int workers = EligibleWorkers().Count;
        if (workers < start.Replicas + 1)
        {
            return (RefusalReason.NotEnoughNodes, $"{start.Replicas} backup(s) and a primary need {start.Replicas + 1} eligible worker nodes on different hosts; {workers} are up and reachable");
        }
        return null;

        static (RefusalReason, string) Invalid(string message) => (RefusalReason.InvalidRequest, message);
    }

    /// <summary>
    /// Why the guest's cluster ports cannot be served, or null: every eligible worker's agent tries to bind them on its
    /// gateway address, before anything is written. Without this a port some other program holds would not stop the
    /// start: that worker's gateway would log that it cannot listen, and clients there would find someone else's service.
    /// Only a moment's answer — a port can be taken right after — so it gives a clear error in the usual case, no more.
    /// </summary>
    private async Task<string?> PortsTaken(StartGuest start)
    {
        if (start.Ports.Length == 0) return null;
        int[] ports = [.. start.Ports.Select(p => p.ClusterPort)];
        var answers = await Task.WhenAll(EligibleWorkers().Select(async node =>
        {
            try
            {
                return await node.Agent.Ask<PortsChecked>(new CheckPorts(ports), PortCheckTimeout);
            }
            catch (AskTimeoutException)
            {
                return new PortsChecked(node.Address, [$"did not answer the port check within {PortCheckTimeout.TotalSeconds:0.#} s"]);
            }
        }));
        var problems = answers.SelectMany(a => a.Problems.Select(p => $"node {a.Node}: {p}")).ToList();
        return problems.Count == 0 ? null : $"a worker's gateway cannot listen on the guest's cluster ports ({string.Join("; ", problems)}); nothing was started";
    }

    /// <summary>How busy a node is: primaries weigh more than backups (they run the guest).</summary>
    private int Load(RegisterNode node) =>
        _table.Values.Sum(g => (g.Primary == node.Address ? 2 : 0) + (g.Backups.Contains(node.Address) ? 1 : 0));

    private async Task OnStopGuest(StopGuest stop)
    {
        var sender = Sender;
        if (!_table.TryGetValue(stop.Name, out var entry))
        {
            sender.Tell(new CommandResult(false, $"no guest named {stop.Name}", null, RefusalReason.UnknownGuest));
            return;
        }
        if (!HasMajority())
        {
            sender.Tell(new CommandResult(false, "the coordinator does not see a majority of the cluster; nothing was stopped", null, RefusalReason.NoMajority));
            return;
        }
        if (!await WriteMajority(stop.Name, null))
        {
            sender.Tell(new CommandResult(false, "no majority acknowledged the removal; nothing was stopped", null, RefusalReason.NoMajority));
            return;
        }
        // The row is gone with a majority: whatever still runs of it is stopped; a node that misses this is fenced anyway.
        foreach (var address in entry.Backups.Append(entry.Primary))
        {
            if (!_nodes.TryGetValue(address, out var node)) continue;
            node.Replicas.Tell(new GenerationAdvanced(stop.Name, entry.Generation + 1));
            node.Replicas.Tell(new DropBackup(stop.Name, entry.Generation + 1));
        }
        if (_nodes.TryGetValue(entry.Primary, out var p)) p.Replicas.Tell(new StopPrimary(stop.Name));
        _log.Info("guest {0} generation {1}: stopped and removed from the table", stop.Name, entry.Generation);
        sender.Tell(new CommandResult(true, $"guest {stop.Name} stopped", entry));
    }

    private async Task OnFailoverGuest(FailoverGuest request)
    {
        var sender = Sender;
        if (!_table.TryGetValue(request.Name, out var entry))
        {
            sender.Tell(new CommandResult(false, $"no guest named {request.Name}", null, RefusalReason.UnknownGuest));
            return;
        }
        if (entry.Backups.Length == 0)
        {
            sender.Tell(new CommandResult(false, $"guest {request.Name} has no backup to switch over to", entry, RefusalReason.NotEnoughNodes));
            return;
        }
        var (ok, message) = await FailOver(entry, "a planned switchover was asked for");
        sender.Tell(new CommandResult(ok, message, _table.GetValueOrDefault(request.Name), ok ? RefusalReason.None : RefusalReason.NodeUnavailable));
    }
}
