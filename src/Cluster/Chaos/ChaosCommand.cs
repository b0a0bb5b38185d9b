using System.CommandLine;
using FaultTolerant.Cluster.Cli;

namespace FaultTolerant.Cluster.Chaos;

/// <summary>
/// <c>ft chaos</c>: a Jepsen-style fault campaign against a local cluster of node processes (docs/RELIABILITY.md). Exit
/// codes: 0 every check passed, 1 something failed (lost acknowledged writes, a key not linearizable or unknown,
/// overlapping primaries, no recovery), 2 bad usage, 130 interrupted.
/// </summary>
internal static class ChaosCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "Node processes: one witness and N-1 workers.", DefaultValueFactory = _ => 3, HelpName = "N" };
        var backups = new Option<int>("--backups") { Description = "Backups of the guest: 1, or 2 (needs --nodes 4 or more).", DefaultValueFactory = _ => 1, HelpName = "1|2" };
        var duration = new Option<double>("--duration") { Description = "Seconds of faults; healing, recovery and the checks come after.", DefaultValueFactory = _ => 60, HelpName = "SECONDS" };
        var seed = new Option<int?>("--seed") { Description = "The seed of the fault schedule and the workload (default: random, printed).", HelpName = "N" };
        var faults = new Option<string>("--faults") { Description = "Kinds of fault: any of kill,pause,partition (partitions need root: network namespaces).", DefaultValueFactory = _ => "kill,pause,partition", HelpName = "LIST" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the figures (progress goes to stderr)." };
        var output = new Option<string?>("--out") { Description = "Directory for the history, reports, release journals and node logs (default: a new temporary one).", HelpName = "DIR" };
        var clients = new Option<int>("--clients") { Description = "Concurrent clients (at least 5).", DefaultValueFactory = _ => 6, HelpName = "N" };
        var timeout = new Option<double>("--op-timeout") { Description = "Seconds before an unanswered request is given up (recorded as info).", DefaultValueFactory = _ => 2, HelpName = "SECONDS" };
        var checkLimit = new Option<double>("--check-time-limit") { Description = "Seconds the linearizability search may take before answering Unknown.", DefaultValueFactory = _ => 120, HelpName = "SECONDS" };
        var minKills = new Option<int>("--min-kills") { Description = "Go on past --duration until at least N kills were injected (at most 3x the duration).", HelpName = "N" };
        var minPartitions = new Option<int>("--min-partitions") { Description = "Likewise for partitions (ignored where partitions are not possible).", HelpName = "N" };
        var network = new Option<string>("--network") { Description = "auto (namespaces when root, else loopback), netns (required), or loopback.", DefaultValueFactory = _ => "auto", HelpName = "MODE" };
        var command = new Command("chaos", "Run a seeded fault campaign (kills, pauses, partitions) against a local cluster under a register workload, and check what clients saw.")
        {
            nodes, backups, duration, seed, faults, json, output, clients, timeout, checkLimit, network, minKills, minPartitions,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            IReadOnlySet<FaultKind> kinds;
            try
            {
                kinds = ChaosOptions.ParseFaults(parse.GetValue(faults)!);
            }
            catch (FormatException e)
            {
                await Console.Error.WriteLineAsync($"ft chaos: {e.Message}");
                return 2;
            }
            var image = GuestLocator.Find("miniredis");
            if (image is null)
            {
                await Console.Error.WriteLineAsync("ft chaos: guests/bin/miniredis.elf not found (run from the repository, or set FT_GUESTS to its guests/bin)");
                return 2;
            }
            var options = new ChaosOptions(
                parse.GetValue(nodes), parse.GetValue(backups), TimeSpan.FromSeconds(parse.GetValue(duration)), parse.GetValue(seed) ?? Random.Shared.Next(1, 1_000_000),
                kinds, parse.GetValue(json), parse.GetValue(output), parse.GetValue(clients), TimeSpan.FromSeconds(parse.GetValue(timeout)),
                TimeSpan.FromSeconds(parse.GetValue(checkLimit)), parse.GetValue(network)!, image)
            {
                MinKills = parse.GetValue(minKills),
                MinPartitions = parse.GetValue(minPartitions),
            };
            if (options.Problem() is { } problem)
            {
                await Console.Error.WriteLineAsync($"ft chaos: {problem}");
                return 2;
            }
            return await new Campaign(options, Console.Out, Console.Error).RunAsync(cancellation);
        });
        return command;
    }
}
