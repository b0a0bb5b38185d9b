using System.Collections.Concurrent;
using FaultTolerant.Guest.State;

namespace FaultTolerant.Replica.Primary;

/// <summary>Encoding and sending, on their own thread, so the guest's pause is only the capture's copy.</summary>
public sealed partial class PrimaryReplica
{
    private readonly Shipper _shipper;

    /// <summary>One unit of shipping, run in order on the shipper thread.</summary>
    private abstract record ShipJob
    {
        /// <summary>Captured bytes this job holds until it has run.</summary>
        public virtual long Bytes => 0;

        public abstract void Run(CheckpointEncoder encoder, KeyValuePair<string, object?> tag);

        protected static void Send(EncodedCheckpoint encoded, IReadOnlyList<IBackupLink> links, KeyValuePair<string, object?> tag)
        {
            if (links.Count == 0) return;
            ReplicaMetrics.RawBytes.Add(encoded.RawBytes, tag);
            ReplicaMetrics.EncodedBytes.Add(encoded.EncodedBytes, tag);
            foreach (var link in links) link.Send(encoded);
        }

        /// <summary>
        /// An epoch's checkpoint: encoded once against the pages as last shipped for every in-sync backup (they all
        /// hold exactly that state), and once more against nothing for backups in the middle of a pre-copy.
        /// </summary>
        public sealed record Epoch(GuestCheckpoint Checkpoint, ulong Generation, ulong Number, IReadOnlyList<IBackupLink> Shared, IReadOnlyList<IBackupLink> Plain) : ShipJob
        {
            public override long Bytes => Checkpoint.DataBytes + Checkpoint.Machine.Length;

            public override void Run(CheckpointEncoder encoder, KeyValuePair<string, object?> tag)
            {
                Send(encoder.Encode(Checkpoint, Generation, Number), Shared, tag);
                if (Plain.Count > 0) Send(encoder.EncodePlain(Checkpoint, Generation, Number), Plain, tag);
                // The frames are copies: the capture's buffer can go back to its pool.
                Checkpoint.ReleaseBuffers();
            }
        }

        public sealed record SyncBegin(long PageLimit, ulong Generation, ulong AfterEpoch, IReadOnlyList<IBackupLink> Links) : ShipJob
        {
            public override void Run(CheckpointEncoder encoder, KeyValuePair<string, object?> tag) => Send(encoder.SyncBegin(PageLimit, Generation, AfterEpoch), Links, tag);
        }

        public sealed record SyncPages(IReadOnlyList<CheckpointPage> Pages, byte[] Buffer, ulong Generation, ulong AfterEpoch, IReadOnlyList<IBackupLink> Links) : ShipJob
        {
            public override long Bytes => Pages.Sum(p => (long)p.Data.Length);

            public override void Run(CheckpointEncoder encoder, KeyValuePair<string, object?> tag)
            {
                Send(encoder.SyncPages(Pages, Generation, AfterEpoch), Links, tag);
                System.Buffers.ArrayPool<byte>.Shared.Return(Buffer);
            }
        }

        public sealed record SyncEnd(long Pages, ulong CopiesHash, ulong Generation, ulong AfterEpoch, IReadOnlyList<IBackupLink> Links) : ShipJob
        {
            public override void Run(CheckpointEncoder encoder, KeyValuePair<string, object?> tag) =>
                Send(encoder.SyncEnd(Pages, CopiesHash, Generation, AfterEpoch), Links, tag);
        }
    }

    private sealed class Shipper(PrimaryOptions options)
    {
        /// <summary>
        /// When the shipper took up each epoch not yet released (a <see cref="System.Diagnostics.Stopwatch"/> timestamp):
        /// where the epoch's release lease starts. Before any backup can have received it, so before any acknowledgement.
        /// </summary>
        public ConcurrentDictionary<ulong, long> ShippedAt { get; } = new();

        private readonly BlockingCollection<ShipJob> _queue = [];
        private readonly CheckpointEncoder _encoder = new(options.GuestId, new ShippedPageCache(options.CacheBytes), options.Lz4);
        private Thread? _thread;
        private long _backlog;

        /// <summary>Captured bytes queued and not yet encoded and sent.</summary>
        public long BacklogBytes => Interlocked.Read(ref _backlog);

        public void Start()
        {
            _thread = new Thread(Run) { IsBackground = true, Name = $"ship:{options.GuestName}" };
            _thread.Start();
        }

        public void Ship(ShipJob job)
        {
            if (_queue.IsAddingCompleted) return;
            Interlocked.Add(ref _backlog, job.Bytes);
            _queue.Add(job);
        }

        public void Complete() => _queue.CompleteAdding();

        private void Run()
        {
            var tag = new KeyValuePair<string, object?>("guest", options.GuestName);
            foreach (var job in _queue.GetConsumingEnumerable())
            {
                if (job is ShipJob.Epoch epoch) ShippedAt[epoch.Number] = System.Diagnostics.Stopwatch.GetTimestamp();
                job.Run(_encoder, tag);
                Interlocked.Add(ref _backlog, -job.Bytes);
            }
        }
    }
}
