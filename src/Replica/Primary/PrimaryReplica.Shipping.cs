using System.Collections.Concurrent;
using FaultTolerant.Guest.State;

namespace FaultTolerant.Replica.Primary;

/// <summary>Encoding and sending, on their own thread, so the guest's pause is only the capture's copy.</summary>
public sealed partial class PrimaryReplica
{
    private readonly Shipper _shipper;

    private sealed class Shipper(PrimaryOptions options)
    {
        private readonly BlockingCollection<(GuestCheckpoint Checkpoint, ulong Generation, ulong Epoch, IReadOnlyList<IBackupLink> Links)> _queue = [];
        private readonly CheckpointEncoder _encoder = new(options.GuestId, new ShippedPageCache(options.CacheBytes), options.Lz4);
        private Thread? _thread;

        public void Start()
        {
            _thread = new Thread(Run) { IsBackground = true, Name = $"ship:{options.GuestName}" };
            _thread.Start();
        }

        public void Ship(GuestCheckpoint checkpoint, ulong generation, ulong epoch, IReadOnlyList<IBackupLink> links)
        {
            if (!_queue.IsAddingCompleted) _queue.Add((checkpoint, generation, epoch, links));
        }

        public void Complete() => _queue.CompleteAdding();

        private void Run()
        {
            var tag = new KeyValuePair<string, object?>("guest", options.GuestName);
            foreach (var (checkpoint, generation, epoch, links) in _queue.GetConsumingEnumerable())
            {
                // Encoded once, against the pages as last shipped, and the same frames go to every backup:
                // in-sync backups all hold exactly that state, and a backup that is not gets a full checkpoint.
                var encoded = _encoder.Encode(checkpoint, generation, epoch);
                ReplicaMetrics.RawBytes.Add(encoded.RawBytes, tag);
                ReplicaMetrics.EncodedBytes.Add(encoded.EncodedBytes, tag);
                foreach (var link in links) link.Send(encoded);
            }
        }
    }
}
