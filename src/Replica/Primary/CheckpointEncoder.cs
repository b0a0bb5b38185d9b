using FaultTolerant.Guest.State;
using FaultTolerant.Replica.Codec;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Primary;

/// <summary>What one encoded checkpoint cost: pages, bytes before and after encoding.</summary>
public sealed record EncodedCheckpoint(IReadOnlyList<Frame> Frames, int Pages, long RawBytes, long EncodedBytes);

/// <summary>
/// Turns a captured checkpoint into data-channel frames: Begin, Pages batches, End. Runs off the guest's
/// thread, after the pause. Deltas are encoded against <see cref="ShippedPageCache"/>, which it keeps
/// current; a full checkpoint (for a new or resyncing backup) is encoded against nothing.
/// </summary>
public sealed class CheckpointEncoder(ulong guest, ShippedPageCache cache, bool lz4 = false, int batchBytes = 1 << 20)
{
    public ShippedPageCache Cache { get; } = cache;

    /// <summary>Frames for a checkpoint, deltas encoded against the shared cache (which this keeps current).</summary>
    public EncodedCheckpoint Encode(GuestCheckpoint checkpoint, ulong generation, ulong epoch) => Encode(checkpoint, generation, epoch, shared: true);

    /// <summary>
    /// Frames for a checkpoint encoded against nothing and leaving the cache alone: for a backup in the middle
    /// of a pre-copy, whose pages are not the ones the cache describes.
    /// </summary>
    public EncodedCheckpoint EncodePlain(GuestCheckpoint checkpoint, ulong generation, ulong epoch) => Encode(checkpoint, generation, epoch, shared: false);

    /// <summary>Opens a pre-copy that starts after epoch <paramref name="epoch"/>.</summary>
    public EncodedCheckpoint SyncBegin(long pageLimit, ulong generation, ulong epoch) =>
        new([Frame.Create(FrameType.SyncBegin, guest, generation, epoch, new SyncBeginPayload(pageLimit).Encode())], 0, 0, 0);

    /// <summary>Copies of pages taken while the guest runs, encoded against nothing.</summary>
    public EncodedCheckpoint SyncPages(IReadOnlyList<CheckpointPage> pages, ulong generation, ulong epoch)
    {
        var frames = new List<Frame>();
        long raw = 0, encoded = 0;
        EncodePages(pages, previousOf: null, updateCache: false, frame => frames.Add(Frame.Create(FrameType.Pages, guest, generation, epoch, frame)), ref raw, ref encoded);
        return new EncodedCheckpoint(frames, pages.Count, raw, encoded);
    }

    public EncodedCheckpoint SyncEnd(long pages, ulong copiesHash, ulong generation, ulong epoch) =>
        new([Frame.Create(FrameType.SyncEnd, guest, generation, epoch, new SyncEndPayload(pages, copiesHash).Encode())], 0, 0, 0);

    private EncodedCheckpoint Encode(GuestCheckpoint checkpoint, ulong generation, ulong epoch, bool shared)
    {
        bool full = checkpoint.IsFull;
        var frames = new List<Frame>
        {
            Frame.Create(FrameType.CheckpointBegin, guest, generation, epoch,
                new CheckpointBeginPayload(full, checkpoint.Sequence, checkpoint.BaseSequence, checkpoint.PageLimit,
                    checkpoint.Pages.Count, checkpoint.Unmapped, checkpoint.Machine, Plain: !shared).Encode()),
        };
        if (shared && !full)
        {
            foreach (var vpn in checkpoint.Unmapped) Cache.Remove(vpn);
        }
        long raw = checkpoint.Machine.Length, encoded = checkpoint.Machine.Length;
        EncodePages(checkpoint.Pages, shared && !full ? Cache : null, updateCache: shared,
            payload => frames.Add(Frame.Create(FrameType.Pages, guest, generation, epoch, payload)), ref raw, ref encoded);
        frames.Add(Frame.Create(FrameType.CheckpointEnd, guest, generation, epoch,
            new CheckpointEndPayload(checkpoint.Pages.Count, CheckpointEndPayload.Hash(checkpoint)).Encode()));
        return new EncodedCheckpoint(frames, checkpoint.Pages.Count, raw, encoded);
    }

    private void EncodePages(IReadOnlyList<CheckpointPage> pages, ShippedPageCache? previousOf, bool updateCache, Action<byte[]> emit, ref long raw, ref long encoded)
    {
        var batch = new List<EncodedPage>();
        int batchSize = 0;
        foreach (var page in pages)
        {
            var previous = previousOf is null ? [] : previousOf.Get(page.Number);
            var data = page.IsZero ? ZeroPage : page.Data.Span;
            var encoding = PageCodec.Encode(data, previous, lz4, _scratch, out int written);
            batch.Add(new EncodedPage(page.Number, page.Permissions, encoding, _scratch.AsSpan(0, written).ToArray()));
            batchSize += PagesPayload.RecordHeader + written;
            raw += page.Data.Length;
            encoded += written;
            if (updateCache)
            {
                if (page.IsZero) Cache.Remove(page.Number);
                else Cache.Put(page.Number, data);
            }
            if (batchSize >= batchBytes)
            {
                emit(PagesPayload.Encode(batch));
                batch.Clear();
                batchSize = 0;
            }
        }
        if (batch.Count > 0) emit(PagesPayload.Encode(batch));
    }

    private readonly byte[] _scratch = new byte[PageCodec.MaxEncodedSize];

    private static readonly byte[] ZeroPage = new byte[PageCodec.PageSize];
}
