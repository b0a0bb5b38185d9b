using System.Diagnostics;
using FaultTolerant.Replica.Inputs;

namespace FaultTolerant.Replica.Primary;

/// <summary>Releasing committed output: invariant O is kept by the gate; this only carries out its decisions.</summary>
public sealed partial class PrimaryReplica
{
    private void TryRelease()
    {
        // A promoted backup's first release waits out the lease its old primary may still be releasing under. The loop
        // ends epochs while output is held, and each one comes back here.
        if (_options.ReleaseNotBefore is { } notBefore && Stopwatch.GetTimestamp() < notBefore) return;
        while (_gate.TakeRelease(_leaseHolds) is { } release)
        {
            var current = _guest.OutputMarks().ToDictionary(m => m.StreamId);
            var output = new List<ReleasedOutput>();
            long bytes = 0;
            foreach (var (stream, mark) in release.Streams)
            {
                // A stream missing now was released and forgotten before (a closed connection, fully delivered).
                if (!current.TryGetValue(stream, out var now) || now.Released > mark.Sent) continue;
                if (mark.Sent == now.Released && !mark.Closed) continue;
                var data = _guest.ReadOutput(stream, mark.Sent);
                output.Add(new ReleasedOutput(stream, now.Released, data, mark.Closed));
                bytes += data.Length;
                _guest.ReleaseOutput(stream, mark.Sent);
            }
            Interlocked.Exchange(ref _released, (long)release.Epoch);
            foreach (var shipped in _shipper.ShippedAt.Keys.Where(k => k <= release.Epoch).ToList()) _shipper.ShippedAt.TryRemove(shipped, out _);
            var tag = new KeyValuePair<string, object?>("guest", _options.GuestName);
            if (_epochEndedAt.Remove(release.Epoch, out var endedAt)) ReplicaMetrics.AckLatency.Record((_clock.Elapsed - endedAt).TotalMilliseconds, tag);
            foreach (var old in _epochEndedAt.Keys.Where(k => k < release.Epoch).ToList()) _epochEndedAt.Remove(old);
            ReplicaMetrics.OutputReleased.Add(bytes, tag);
            ReplicaMetrics.ReplicationLag.Record((long)(Epoch - release.Epoch), tag);
            Interlocked.Exchange(ref _heldOutputBytes, current.Values.Sum(m =>
                m.Sent - (release.Streams.TryGetValue(m.StreamId, out var r) ? Math.Max(m.Released, r.Sent) : m.Released)));
            _source.OnRelease(new ReleasedEpoch(release.Generation, release.Epoch, output, release.Connections));
            _lastReleasedGeneration = release.Generation;
            _options.ReleaseObserver?.Released(_options.GuestName, release.Generation, release.Epoch, System.Diagnostics.Stopwatch.GetTimestamp());
        }
        Interlocked.Exchange(ref _lateAcknowledgements, _gate.LateAcknowledgements);
    }

    /// <summary><see cref="LeaseHolds"/> as one delegate made once (this runs on the guest thread every epoch); null without a lease.</summary>
    private readonly Func<ulong, bool>? _leaseHolds;

    /// <summary>Whether epoch <paramref name="epoch"/>'s acknowledgements may still release it: within the lease of its shipping.</summary>
    private bool LeaseHolds(ulong epoch) =>
        _shipper.ShippedAt.TryGetValue(epoch, out long shippedAt) && Stopwatch.GetElapsedTime(shippedAt) < _options.ReleaseLease;

    /// <summary>Acknowledged epochs not released because their lease had run out: acknowledgements slower than the lease.</summary>
    public long LateAcknowledgements => Interlocked.Read(ref _lateAcknowledgements);

    private long _lateAcknowledgements;

    /// <summary>The generation of the last release (0 before the first): what the release observer's span is under.</summary>
    private ulong _lastReleasedGeneration;

    /// <summary>The primary releases nothing more: its observer closes the span it has open.</summary>
    private void ReleasesEnded()
    {
        if (_lastReleasedGeneration != 0) _options.ReleaseObserver?.Ended(_options.GuestName, _lastReleasedGeneration);
    }
}
