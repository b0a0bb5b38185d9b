using FaultTolerant.Guest.Kernel;

namespace FaultTolerant.Guest;

/// <summary>The host side of the guest's I/O.</summary>
public sealed partial class Rv64Guest
{
    public long Connect(int port, uint peerAddress = 0x7f000001, int peerPort = 0) => _kernel.Connect(port, peerAddress, peerPort);

    public int Deliver(long connectionId, ReadOnlySpan<byte> data) => _kernel.Deliver(connectionId, data);

    public void EndInput(long connectionId) => _kernel.EndInput(connectionId);

    public void Abort(long connectionId) => _kernel.Abort(connectionId);

    public int DeliverStdin(ReadOnlySpan<byte> data) => _kernel.DeliverStdin(data);

    public void EndStdin() => _kernel.EndStdin();

    public IReadOnlyList<ConnectionInfo> Connections => [.. _kernel.Connections()];

    public IReadOnlyList<GuestOutput> PendingOutput() =>
    [
        .. _kernel.OutputStreams()
            .Where(s => s.Pending.Count > 0 || (s.Closed && s.Id >= GuestStreams.FirstConnection))
            .Select(s => new GuestOutput(s.Id, s.ReleasedOffset, s.Pending.Span.ToArray(), s.Closed)),
    ];

    public void ReleaseOutput(long streamId, long upToOffset) => _kernel.Release(streamId, upToOffset);

    public IReadOnlyList<OutputMark> OutputMarks() =>
    [
        .. _kernel.OutputStreams()
            .Where(s => s.Pending.Count > 0 || (s.Closed && s.Id >= GuestStreams.FirstConnection))
            .Select(s => new OutputMark(s.Id, s.ReleasedOffset, s.Sent, s.Closed)),
    ];

    public byte[] ReadOutput(long streamId, long upToOffset)
    {
        var stream = _kernel.OutputStreams().FirstOrDefault(s => s.Id == streamId) ?? throw new ArgumentException($"no output stream {streamId}", nameof(streamId));
        if (upToOffset < stream.ReleasedOffset || upToOffset > stream.Sent)
        {
            throw new ArgumentException($"offset {upToOffset} is outside stream {streamId}'s unreleased bytes [{stream.ReleasedOffset}, {stream.Sent}]", nameof(upToOffset));
        }
        return stream.Pending.Span[..(int)(upToOffset - stream.ReleasedOffset)].ToArray();
    }
}

public static class GuestOutputExtensions
{
    /// <summary>Takes every pending output and releases it at once: for a host that does not replicate.</summary>
    public static IReadOnlyList<GuestOutput> TakeOutput(this IGuest guest)
    {
        var pending = guest.PendingOutput();
        foreach (var o in pending) guest.ReleaseOutput(o.StreamId, o.Offset + o.Data.Length);
        return pending;
    }
}
