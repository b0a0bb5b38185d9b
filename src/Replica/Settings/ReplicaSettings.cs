using Akka.Configuration;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Replica.Settings;

/// <summary>The checkpoint data channel's settings (<c>ft.replica.data-channel</c>).</summary>
/// <param name="Hostname">The address a backup node's listener binds and advertises.</param>
/// <param name="Port">The listener's port; 0 lets the operating system pick one.</param>
/// <param name="SendQueueLimit">Bytes a primary may queue for one backup before resynchronising it instead.</param>
public sealed record DataChannelSettings(string Hostname, int Port, long SendQueueLimit, TimeSpan ReconnectBackoffMin, TimeSpan ReconnectBackoffMax);

/// <summary>The release journal's settings (<c>ft.replica.release-journal</c>); see <see cref="ReleaseJournal"/>.</summary>
/// <param name="File">The journal file every primary of this node appends its release spans to.</param>
/// <param name="Node">The name the journal's lines give this node.</param>
public sealed record ReleaseJournalSettings(string File, string Node);

/// <summary>
/// Replication's settings, parsed once from the <c>ft.replica</c> section of an Akka configuration (falling
/// back to the reference configuration, <c>hocon/replica.conf</c>, embedded in this assembly) and immutable.
/// </summary>
/// <param name="Epochs">When an epoch ends: <c>epoch.max-interval</c> and <c>epoch.min-interval</c>.</param>
/// <param name="RunSlice">Instructions per run call (<c>run-slice</c>).</param>
/// <param name="XorCacheBytes">Bound of the last-shipped page cache (<c>xor-cache-size</c>); 0 disables XOR encoding.</param>
/// <param name="RecruitTimeout">How long a primary waits for its backups to be hosted (<c>recruit-timeout</c>).</param>
/// <param name="AckTimeout">After this long without a new ack from a backup, it is reported silent (<c>ack-timeout</c>).</param>
public sealed partial record ReplicaSettings(
    EpochPolicy Epochs,
    long RunSlice,
    long XorCacheBytes,
    bool Lz4,
    TimeSpan RecruitTimeout,
    TimeSpan AckTimeout,
    DataChannelSettings DataChannel)
{
    /// <summary>
    /// <c>release-lease</c>: how long after shipping an epoch its acknowledgements may release it, and how long a
    /// promoted backup waits after its last acknowledgement before its first release (docs/FAILOVER.md).
    /// </summary>
    public TimeSpan ReleaseLease { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary><c>release-journal</c>: null (the default) keeps no journal.</summary>
    public ReleaseJournalSettings? Journal { get; init; }

    /// <summary>The section every key lives under.</summary>
    public const string Section = "ft.replica";

    /// <summary>The name under which <c>hocon/replica.conf</c> is embedded in this assembly.</summary>
    public const string ReferenceResource = "FaultTolerant.Replica.reference.conf";

    /// <summary>The reference configuration: every key with its default (and the serializer binding of the protocol).</summary>
    public static Config Reference { get; } = LoadReference();

    /// <summary>The settings of the reference configuration.</summary>
    public static ReplicaSettings Default { get; } = Create(Reference);

    /// <summary>
    /// Reads <c>ft.replica</c> from <paramref name="config"/> (an actor system's whole configuration); keys it
    /// does not set take the reference value.
    /// </summary>
    /// <exception cref="ReplicaConfigurationException">A value is unparsable or out of range; the message names the key and the fix.</exception>
    public static ReplicaSettings Create(Config? config)
    {
        var reader = new Reader(WithReference(config));
        var max = reader.PositiveDuration("epoch.max-interval");
        var min = reader.PositiveDuration("epoch.min-interval");
        if (min > max)
        {
            throw reader.Refuse("epoch.min-interval", $"{Ms(min)} is longer than epoch.max-interval ({Ms(max)}); set it at most that, or raise epoch.max-interval");
        }
        var ackTimeout = reader.PositiveDuration("ack-timeout");
        if (ackTimeout <= max)
        {
            throw reader.Refuse("ack-timeout", $"{Ms(ackTimeout)} is not longer than epoch.max-interval ({Ms(max)}): every backup would be reported silent between two acks; set it to several epochs at least (default 5s)");
        }
        var lease = reader.PositiveDuration("release-lease");
        if (lease >= ackTimeout)
        {
            throw reader.Refuse("release-lease", $"{Ms(lease)} is not shorter than ack-timeout ({Ms(ackTimeout)}): a backup whose acknowledgements come too late to release anything would never be reported silent; keep it well under (default 300ms)");
        }
        return new ReplicaSettings(
            new EpochPolicy(max, min),
            reader.PositiveLong("run-slice", "instructions"),
            reader.ByteSize("xor-cache-size", allowZero: true),
            reader.Boolean("lz4"),
            reader.PositiveDuration("recruit-timeout"),
            ackTimeout,
            ReadDataChannel(reader))
        {
            ReleaseLease = lease,
            Journal = reader.OptionalText("release-journal.file") is { } file
                ? new ReleaseJournalSettings(file, reader.OptionalText("release-journal.node") ?? $"pid-{Environment.ProcessId}")
                : null,
        };
    }

    /// <summary><paramref name="config"/> over the reference configuration.</summary>
    public static Config WithReference(Config? config) =>
        config is null || config.IsEmpty || ReferenceEquals(config, Reference) ? Reference : config.WithFallback(Reference);

    /// <summary>The options of a primary for one guest, with this configuration's epochs, slice and encoding.</summary>
    /// <exception cref="IOException">The release journal is configured and its file cannot be opened.</exception>
    public PrimaryOptions PrimaryOptionsFor(string guestName, ulong guestId, ulong generation) =>
        new(guestName, guestId, generation)
        {
            Epochs = Epochs,
            Slice = RunSlice,
            CacheBytes = XorCacheBytes,
            Lz4 = Lz4,
            ReleaseLease = ReleaseLease,
            ReleaseObserver = Journal is { } journal ? ReleaseJournal.Shared(journal.File, journal.Node) : null,
        };

    private static DataChannelSettings ReadDataChannel(Reader reader)
    {
        var backoffMin = reader.PositiveDuration("data-channel.reconnect-backoff.min");
        var backoffMax = reader.PositiveDuration("data-channel.reconnect-backoff.max");
        if (backoffMin > backoffMax)
        {
            throw reader.Refuse("data-channel.reconnect-backoff.min", $"{Ms(backoffMin)} is longer than data-channel.reconnect-backoff.max ({Ms(backoffMax)}); set it at most that, or raise the max");
        }
        return new DataChannelSettings(
            reader.Hostname("data-channel.hostname"),
            reader.Port("data-channel.port"),
            reader.ByteSize("data-channel.send-queue-limit", allowZero: false),
            backoffMin,
            backoffMax);
    }

    private static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:0.###}ms";

    private static Config LoadReference()
    {
        using var stream = typeof(ReplicaSettings).Assembly.GetManifestResourceStream(ReferenceResource)
            ?? throw new InvalidOperationException($"the reference configuration {ReferenceResource} is not embedded in {typeof(ReplicaSettings).Assembly.GetName().Name}");
        using var text = new StreamReader(stream);
        return ConfigurationFactory.ParseString(text.ReadToEnd());
    }
}
