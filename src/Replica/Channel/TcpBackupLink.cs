using System.Diagnostics;
using System.Net;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Channel;

/// <summary>
/// The primary's end of one backup's data channel over TCP (DESIGN §3): its own connection, not Akka remoting, so
/// megabytes of pages never queue in front of the cluster's heartbeats. Write-only: the backup answers over Akka.
/// </summary>
/// <remarks>
/// <para><see cref="Send"/> only queues (see <see cref="LinkSendQueue"/> for what is kept) and returns; one writer task
/// connects, sends the Hello, and writes the queued frames in order, gathered straight from the frames' arrays.</para>
/// <para>Whenever the backup may have missed part of what was sent — the connection broke, a write stalled, the queue
/// passed its bound — the link calls <c>broken(backupId, reason)</c>, whose owner asks the primary to resync that backup
/// (<see cref="PrimaryReplica.ResyncRequested"/>: a pre-copy, or a full checkpoint); until the resync starts, what the
/// primary ships is dropped here rather than refused there. A checkpoint cut short is never resumed: a reconnect starts
/// with a Hello and then the next restart point. The link reconnects by itself, with a backoff from
/// <see cref="TcpBackupLinkOptions.ReconnectMin"/> to <see cref="TcpBackupLinkOptions.ReconnectMax"/>, and asks again on
/// reconnecting if no resync started meanwhile.</para>
/// <para>The <c>broken</c> callback runs on the writer task or on the thread that called <see cref="Send"/>: it must be
/// quick and thread-safe (an actor's Tell, or <see cref="PrimaryReplica.ResyncRequested"/>).</para>
/// </remarks>
public sealed partial class TcpBackupLink : IBackupLink, IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly LinkSendQueue _queue;
    private readonly SemaphoreSlim _work = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Action<string, string>? _broken;
    private readonly TcpBackupLinkOptions _options;
    private readonly ulong _guestId;
    private readonly string _guestName;
    private readonly string _sender;
    private readonly List<TaskCompletionSource> _drainWaiters = [];
    private readonly Task _run;
    private TaskCompletionSource _connectedSignal = NewSignal();
    private LinkConnection? _connection;
    private ulong _generation;
    private bool _writing;
    private long _connects;
    private long _breaks;
    private long _checkpointsSent;
    private long _bytesSent;
    private long _lastReport;
    private int _disposed;

    /// <summary>Starts connecting at once; checkpoints sent before the connection is up wait in the queue.</summary>
    /// <param name="backupId">The backup's id, as the primary's commit gate knows it.</param>
    /// <param name="backup">The backup's <see cref="DataChannelListener"/>.</param>
    /// <param name="generation">The generation the Hello carries; later Hellos carry the highest generation sent since.</param>
    /// <param name="sender">Who sends, for the backup's logs (a node address).</param>
    /// <param name="broken">Called with (backupId, reason) when the backup needs a resync.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option that cannot work.</exception>
    public TcpBackupLink(string backupId, EndPoint backup, ulong guestId, string guestName, ulong generation, string sender,
        Action<string, string>? broken = null, TcpBackupLinkOptions? options = null)
    {
        _options = options ?? TcpBackupLinkOptions.Default;
        _options.Validate();
        BackupId = backupId;
        Backup = backup;
        _guestId = guestId;
        _guestName = guestName;
        _generation = generation;
        _sender = sender;
        _broken = broken;
        _queue = new LinkSendQueue(_options.MaxQueuedBytes);
        _run = Task.Run(RunAsync);
    }

    public string BackupId { get; }

    public EndPoint Backup { get; }

    /// <summary>A connection is up and its Hello written.</summary>
    public bool IsConnected
    {
        get
        {
            lock (_lock) return _connection is not null;
        }
    }

    /// <summary>The generation the next Hello will carry.</summary>
    public ulong Generation
    {
        get
        {
            lock (_lock) return _generation;
        }
    }

    public TcpBackupLinkStatistics Statistics
    {
        get
        {
            lock (_lock) return new TcpBackupLinkStatistics(_connects, _breaks, _checkpointsSent, _queue.Dropped, _bytesSent, _queue.WaitingBytes);
        }
    }

    public long QueuedBytes
    {
        get
        {
            lock (_lock) return _queue.WaitingBytes;
        }
    }

    /// <summary>
    /// Queues a unit's frames (an epoch's checkpoint, or a piece of a pre-copy) and returns at once. After
    /// <see cref="DisposeAsync"/> it does nothing.
    /// </summary>
    public void Send(EncodedCheckpoint checkpoint)
    {
        if (Volatile.Read(ref _disposed) != 0 || checkpoint.Frames.Count == 0) return;
        var kind = LinkSendQueue.Classify(checkpoint);
        long bytes = LinkSendQueue.WireBytes(checkpoint);
        LinkOffer offer;
        bool connected;
        lock (_lock)
        {
            _generation = Math.Max(_generation, checkpoint.Frames[0].Generation);
            offer = _queue.Offer(checkpoint, kind, bytes);
            connected = _connection is not null;
        }
        switch (offer)
        {
            case LinkOffer.Queued or LinkOffer.QueuedRestart:
                if (_work.CurrentCount == 0) _work.Release();
                break;
            case LinkOffer.Overflow when connected:
                // The connection stays up: the unit being written completes, and the resync asked for follows it.
                // While disconnected the reconnect asks instead, so a long outage does not start a resync per overflow.
                Report($"more than {_options.MaxQueuedBytes} bytes of deltas queued for the backup: dropped, a resync is needed");
                break;
            case LinkOffer.DroppedAwaitingRestart when connected && Stopwatch.GetElapsedTime(Volatile.Read(ref _lastReport)) >= _options.ReconnectMax:
                // The request was lost (a primary between generations ignores resyncs of the old one): ask again, rarely.
                Report("still waiting for a resync: checkpoints are being dropped");
                break;
        }
    }

    /// <summary>Completes when a connection is up (at once if one is).</summary>
    /// <exception cref="OperationCanceledException">Cancelled, or the link was disposed.</exception>
    public Task WaitConnectedAsync(CancellationToken cancellation = default)
    {
        lock (_lock) return _connectedSignal.Task.WaitAsync(cancellation);
    }

    /// <summary>
    /// Completes when nothing is left to write: everything queued went into the socket, or was dropped. It says nothing
    /// of what the backup received — its acks do.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public Task FlushAsync(CancellationToken cancellation = default)
    {
        lock (_lock)
        {
            if (IsIdle || Volatile.Read(ref _disposed) != 0) return Task.CompletedTask;
            var waiter = NewSignal();
            _drainWaiters.Add(waiter);
            return waiter.Task.WaitAsync(cancellation);
        }
    }

    /// <summary>
    /// Stops the writer and closes the connection. A unit being written is finished first if that takes less than
    /// <see cref="TcpBackupLinkOptions.DisposeDrainTimeout"/>, and the stream then ends cleanly, so the backup keeps
    /// its place; otherwise it is cut (the backup voids what it staged). Units still waiting are dropped.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync();
        try
        {
            await _run.WaitAsync(_options.DisposeDrainTimeout);
        }
        catch (TimeoutException)
        {
            LinkConnection? connection;
            lock (_lock) connection = _connection;
            connection?.Break("the link was disposed in the middle of a unit");
            await _run;
        }
        lock (_lock)
        {
            _connectedSignal.TrySetCanceled();
            foreach (var w in _drainWaiters) w.TrySetResult();
            _drainWaiters.Clear();
        }
        _stopping.Dispose();
    }

    /// <summary>Guarded by <see cref="_lock"/>.</summary>
    private bool IsIdle => !_writing && _queue.WaitingCount == 0;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private byte[] HelloBytes()
    {
        ulong generation;
        lock (_lock) generation = _generation;
        return Frame.Create(FrameType.Hello, _guestId, generation, 0, new HelloPayload(_guestName, _sender).Encode()).ToBytes();
    }

    private void Report(string reason)
    {
        Volatile.Write(ref _lastReport, Stopwatch.GetTimestamp());
        try
        {
            _broken?.Invoke(BackupId, reason);
        }
        catch (Exception)
        {
            // The owner's bug must not stop the writer; the request is repeated while deltas keep being dropped.
        }
    }
}
