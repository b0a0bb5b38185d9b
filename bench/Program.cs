using FaultTolerant.Bench;
using FaultTolerant.Bench.Guest;
using FaultTolerant.Bench.Replication;

// Benchmarks report; they never gate: every subcommand exits 0 once it has printed its table.
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine("""
        usage: dotnet run -c Release --project bench -- <benchmark> [options]

        benchmarks:
          guest        interpreter speed vs qemu, dirty-tracking cost, capture cost vs copy, peak RSS of ft run
          replication  epoch pause vs copy, data channel vs raw TCP, codec, miniredis and compute replicated vs not,
                       peak RSS of a primary and a backup process (its own options: replication --help)
          failover     client-visible failover over repeated SIGKILLs of the primary in a three-process cluster, and time
                       to re-protection (its own options: failover --help)

        options:
          --markdown FILE   also write the results (machine, table, notes) as markdown
          --runs N          timed runs per whole-program measurement (default 3, after one warm-up)
          --only LIST       comma-separated subset: interp,dirty,capture,rss
          --no-build        use the existing src/Cluster Release build for the RSS figure
        """);
    return args.Length == 0 ? 2 : 0;
}

switch (args[0])
{
    case "replication":
        return await ReplicationBenchmark.MainAsync(args[1..]);
    case "failover":
        return await FaultTolerant.Bench.Cluster.FailoverBenchmark.MainAsync(args[1..]);
    case ReplicationNode.Command:
        // Hidden: one node of the memory figure, started by `replication` as a child process.
        return await ReplicationNode.MainAsync(args[1..]);
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args[1..]);
}
catch (FormatException e)
{
    await Console.Error.WriteLineAsync($"bench: {e.Message}");
    return 2;
}

switch (args[0])
{
    case "guest":
        await GuestBenchmark.RunAsync(options);
        return 0;
    default:
        await Console.Error.WriteLineAsync($"bench: unknown benchmark '{args[0]}' (try --help)");
        return 2;
}
