using System.Net;
using FaultTolerant.Guest;
using FaultTolerant.Guest.State;
using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Channel;
using FaultTolerant.Replica.Inputs;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Bench.Replication;

/// <summary>
/// A primary and one backup in this process, joined by the real TCP data channel (<see cref="TcpBackupLink"/> to a
/// <see cref="DataChannelListener"/>). The backup's answers go straight back to the primary, as its owner (an actor,
/// later) would send them.
/// </summary>
internal sealed class InProcessReplica : IAsyncDisposable
{
    private const string BackupId = "b1";
    private const ulong GuestId = 21;

    /// <param name="withBackup">False: the primary runs unprotected (no backup; each epoch is released at its end), for context.</param>
    public InProcessReplica(IGuest guest, string name, IInputSource source, PrimaryOptions? options = null, bool withBackup = true)
    {
        Backup = new BackupReplica(BackupId, Restore);
        Listener = new DataChannelListener(new IPEndPoint(IPAddress.Loopback, 0), (_, _) => Backup, OnOutcome);
        Listener.Start();
        Link = new TcpBackupLink(BackupId, Listener.LocalEndpoint, GuestId, name, 1, "bench", (id, _) => Primary?.ResyncRequested(id, 1));
        Primary = new PrimaryReplica(guest, options ?? new PrimaryOptions(name, GuestId, 1), withBackup ? [Link] : [], source);
    }

    public BackupReplica Backup { get; }

    public DataChannelListener Listener { get; }

    public TcpBackupLink Link { get; }

    public PrimaryReplica Primary { get; }

    public static IGuest Restore(GuestCheckpoint full) => Rv64Guest.Restore(full, null, new GuestOptions());

    public async ValueTask DisposeAsync()
    {
        Primary.Stop();
        await Primary.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        await Link.DisposeAsync();
        await Listener.DisposeAsync();
    }

    private void OnOutcome(ChannelOutcome o)
    {
        switch (o.Outcome)
        {
            case AssemblyOutcome.Committed c:
                Primary?.Acked(BackupId, c.Generation, c.Epoch);
                break;
            case AssemblyOutcome.ResyncNeeded:
                Primary?.ResyncRequested(BackupId, o.Generation);
                break;
            case AssemblyOutcome.Fenced f:
                Primary?.Fence(f.HighestGeneration);
                break;
        }
    }
}

/// <summary>An input source with no clients: it keeps the guest's released stdout, for checking.</summary>
internal sealed class StdoutSource : IInputSource
{
    private readonly Lock _lock = new();
    private readonly MemoryStream _stdout = new();

    public string Stdout
    {
        get
        {
            lock (_lock) return System.Text.Encoding.UTF8.GetString(_stdout.ToArray());
        }
    }

    public void OnRelease(ReleasedEpoch release)
    {
        lock (_lock)
        {
            foreach (var o in release.Output.Where(o => o.StreamId == GuestStreams.Stdout))
            {
                long skip = _stdout.Length - o.Offset;
                if (skip < o.Data.Length) _stdout.Write(o.Data.AsSpan((int)Math.Max(0, skip)));
            }
        }
    }
}
