using FaultTolerant.Guest;
using FaultTolerant.Replica.Inputs;

namespace FaultTolerant.Cluster.Gateway;

/// <summary>Releases: committed output out to the clients, committed input forgotten.</summary>
public sealed partial class GuestGateway
{
    private readonly StdioPump _stdio;

    /// <summary>Stdout and stderr offsets already handed on (a new primary re-releases from its committed offset).</summary>
    private readonly Dictionary<long, long> _stdioDelivered = [];

    /// <summary>The highest generation a release came from: an older primary's late release is ignored.</summary>
    private ulong _generation;

    /// <summary>
    /// Called on the primary's guest thread for each release, in epoch order. Never blocks: bytes go to per-client
    /// writer queues. Each connection's kept input is trimmed to its committed received offset; each stream's output
    /// is forwarded past what its client already has.
    /// </summary>
    public void OnRelease(ReleasedEpoch release)
    {
        List<(Client Client, string Reason)>? broken = null;
        lock (_lock)
        {
            if (release.Generation < _generation)
            {
                // Whatever it holds is committed, so harmless, but a newer primary speaks for the guest now.
                _staleReleases++;
                return;
            }
            _generation = release.Generation;
            foreach (var committed in release.Connections)
            {
                if (!_byId.TryGetValue(committed.Connection, out var c)) continue;
                if (committed.Received > c.Input.End)
                {
                    _gaps++;
                    (broken ??= []).Add((c, $"the guest committed {committed.Received} bytes received of connection {committed.Connection}, but only {c.Input.End} were sent to it"));
                    continue;
                }
                c.Input.TrimTo(committed.Received);
                c.ResumeIfBelow(_options);
            }
            foreach (var output in release.Output)
            {
                if (output.StreamId is GuestStreams.Stdout or GuestStreams.Stderr)
                {
                    ForwardStdio(output);
                }
                else if (_byId.TryGetValue(output.StreamId, out var c))
                {
                    if (Forward(c, output) is { } gap)
                    {
                        _gaps++;
                        (broken ??= []).Add((c, gap));
                    }
                }
                else if (_connecting > 0)
                {
                    // Perhaps the connection of a connect whose answer has not reached us yet: the guest may answer first.
                    if (!_early.TryGetValue(output.StreamId, out var list)) _early[output.StreamId] = list = [];
                    list.Add(output);
                }
                // Otherwise no client is left for it (reset, or dropped): its output goes nowhere.
            }
        }
        foreach (var (c, reason) in broken ?? []) Drop(c, $"BUG: {reason}", abort: true);
    }

    /// <summary>
    /// Guarded by <see cref="_lock"/>: hands a client the released bytes past what it has, and the close. Returns why the
    /// client must be closed if the release starts past what it has: bytes in between would be lost, which output
    /// commit promises never happens.
    /// </summary>
    private string? Forward(Client c, ReleasedOutput output)
    {
        long end = output.Offset + output.Data.Length;
        if (output.Offset > c.Delivered)
        {
            return $"release of connection {output.StreamId} starts at {output.Offset}, but its client has only {c.Delivered} bytes: a gap";
        }
        if (end > c.Delivered)
        {
            var fresh = output.Data.AsMemory((int)(c.Delivered - output.Offset));
            _duplicateBytes += output.Data.Length - fresh.Length;
            c.Delivered = end;
            if (!c.Finished)
            {
                Interlocked.Add(ref c.Unsent, fresh.Length);
                c.Outbound.Writer.TryWrite(new Outbound(fresh, Close: false));
            }
        }
        else
        {
            _duplicateBytes += output.Data.Length;
        }
        if (output.Closed && !c.CloseQueued)
        {
            // The guest's connection is gone once its close is released: later client bytes have nowhere to go.
            c.CloseQueued = true;
            if (!c.Finished)
            {
                c.Outbound.Writer.TryWrite(new Outbound(ReadOnlyMemory<byte>.Empty, Close: true));
                Finish(c);
            }
        }
        return null;
    }

    /// <summary>Guarded by <see cref="_lock"/>.</summary>
    private void ForwardStdio(ReleasedOutput output)
    {
        long delivered = _stdioDelivered.GetValueOrDefault(output.StreamId, output.Offset);
        long end = output.Offset + output.Data.Length;
        if (output.Offset > delivered) Log($"stream {output.StreamId}: release starts at {output.Offset} past {delivered} delivered (a gap)");
        long from = Math.Max(delivered, output.Offset);
        if (end > from) _stdio.Write(output.StreamId, output.Data.AsMemory((int)(from - output.Offset)));
        _stdioDelivered[output.StreamId] = Math.Max(delivered, end);
    }
}
