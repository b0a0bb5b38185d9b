namespace FaultTolerant.Cluster.Chaos;

/// <summary>The kinds of fault the nemesis injects.</summary>
internal enum FaultKind
{
    /// <summary>SIGKILL of a node's process, then a restart of it (a new incarnation on the same address).</summary>
    Kill,

    /// <summary>SIGSTOP of a node's process for longer than the failure detector tolerates, then SIGCONT.</summary>
    Pause,

    /// <summary>iptables DROP inside node namespaces: a node or a minority cut off, or a one-way cut; then healed.</summary>
    Partition,
}

/// <summary>What <c>ft chaos</c> was asked for.</summary>
/// <param name="Nodes">Node processes: one witness and <c>Nodes - 1</c> workers.</param>
/// <param name="Backups">Backups of the guest (1 or 2; 2 needs three workers).</param>
/// <param name="Duration">How long faults are injected; the final heal, recovery and checks come after.</param>
/// <param name="Faults">The kinds of fault to inject (partitions only where network namespaces are available).</param>
/// <param name="Out">Where the history, the reports and the node logs go; null: a new temporary directory.</param>
/// <param name="Clients">Concurrent clients (at least 5).</param>
/// <param name="OperationTimeout">A request unanswered this long is given up and recorded as info (outcome unknown).</param>
/// <param name="CheckTimeLimit">The linearizability search's limit; past it a key's verdict is Unknown.</param>
/// <param name="Network">auto (namespaces when root and available, else loopback), netns (required), or loopback.</param>
internal sealed record ChaosOptions(
    int Nodes,
    int Backups,
    TimeSpan Duration,
    int Seed,
    IReadOnlySet<FaultKind> Faults,
    bool Json,
    string? Out,
    int Clients,
    TimeSpan OperationTimeout,
    TimeSpan CheckTimeLimit,
    string Network,
    string Image)
{
    /// <summary>
    /// Faults go on past <see cref="Duration"/> until at least this many kills (and <see cref="MinPartitions"/> partitions,
    /// where partitions are possible) were injected, for at most <see cref="OverrunLimit"/> times the duration: a short
    /// campaign on a loaded machine (slower recoveries, so fewer faults) still exercises failover as often as asked.
    /// </summary>
    public int MinKills { get; init; }

    public int MinPartitions { get; init; }

    public const int OverrunLimit = 3;

    public const int MinClients = 5;

    /// <summary>Time allowed after the faults for healing, recovery, the final reads and stopping everything.</summary>
    public static readonly TimeSpan RecoveryBudget = TimeSpan.FromMinutes(3);

    public int Workers => Nodes - 1;

    /// <summary>What is wrong with these options, said for the person who typed them; null when they can run.</summary>
    public string? Problem()
    {
        if (Backups is < 1 or > 2) return $"--backups {Backups}: expected 1 or 2";
        if (Nodes < 3) return $"--nodes {Nodes}: at least 3 (a witness and two workers: the smallest cluster that can fail over)";
        if (Nodes > 9) return $"--nodes {Nodes}: at most 9 on one machine";
        if (Workers < Backups + 1)
        {
            return $"--backups {Backups} needs {Backups + 1} workers (the primary and its backups), so --nodes {Backups + 2} or more; --nodes {Nodes} gives {Workers}";
        }
        if (Duration < TimeSpan.FromSeconds(5)) return $"--duration {Duration.TotalSeconds:0}: at least 5 seconds";
        if (Faults.Count == 0) return "--faults: name at least one of kill, pause, partition";
        if (Clients < MinClients) return $"--clients {Clients}: at least {MinClients}";
        if (Network is not ("auto" or "netns" or "loopback")) return $"--network {Network}: expected auto, netns or loopback";
        if (OperationTimeout <= TimeSpan.Zero) return "--op-timeout: a positive number of seconds";
        if (MinKills < 0 || MinPartitions < 0) return "--min-kills and --min-partitions: 0 or more";
        if (MinKills > 0 && !Faults.Contains(FaultKind.Kill)) return "--min-kills needs kill in --faults";
        if (MinPartitions > 0 && !Faults.Contains(FaultKind.Partition)) return "--min-partitions needs partition in --faults";
        return null;
    }

    /// <summary>Parses <c>kill,pause,partition</c> (any order, any subset).</summary>
    /// <exception cref="FormatException">An unknown kind.</exception>
    public static IReadOnlySet<FaultKind> ParseFaults(string text)
    {
        var kinds = new HashSet<FaultKind>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            kinds.Add(part.ToLowerInvariant() switch
            {
                "kill" => FaultKind.Kill,
                "pause" => FaultKind.Pause,
                "partition" => FaultKind.Partition,
                _ => throw new FormatException($"--faults: unknown fault '{part}' (kill, pause, partition)"),
            });
        }
        return kinds;
    }
}
