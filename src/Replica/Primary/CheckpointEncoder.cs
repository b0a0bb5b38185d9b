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

    public EncodedCheckpoint Encode(GuestCheckpoint checkpoint, ulong generation, ulong epoch)
    {
        bool full = checkpoint.IsFull;
        var frames = new List<Frame>
        {
            Frame.Create(FrameType.CheckpointBegin, guest, generation, epoch,
                new CheckpointBeginPayload(full, checkpoint.Sequence, checkpoint.BaseSequence, checkpoint.PageLimit,
                    checkpoint.Pages.Count, checkpoint.Unmapped, checkpoint.Machine).Encode()),
        };
        if (!full)
        {
            foreach (var vpn in checkpoint.Unmapped) Cache.Remove(vpn);
        }
        var batch = new List<EncodedPage>();
        int batchSize = 0;
        long encodedBytes = 0;
        var scratch = new byte[PageCodec.MaxEncodedSize];
        foreach (var page in checkpoint.Pages)
        {
            var previous = full ? [] : Cache.Get(page.Number);
            var data = page.IsZero ? ZeroPage : page.Data.Span;
            var encoding = PageCodec.Encode(data, previous, lz4, scratch, out int written);
            var body = scratch.AsSpan(0, written).ToArray();
            batch.Add(new EncodedPage(page.Number, page.Permissions, encoding, body));
            batchSize += PagesPayload.RecordHeader + written;
            encodedBytes += written;
            if (page.IsZero) Cache.Remove(page.Number);
            else Cache.Put(page.Number, data);
            if (batchSize >= batchBytes)
            {
                frames.Add(Frame.Create(FrameType.Pages, guest, generation, epoch, PagesPayload.Encode(batch)));
                batch.Clear();
                batchSize = 0;
            }
        }
        if (batch.Count > 0) frames.Add(Frame.Create(FrameType.Pages, guest, generation, epoch, PagesPayload.Encode(batch)));
        frames.Add(Frame.Create(FrameType.CheckpointEnd, guest, generation, epoch,
            new CheckpointEndPayload(checkpoint.Pages.Count, CheckpointEndPayload.Hash(checkpoint)).Encode()));
        return new EncodedCheckpoint(frames, checkpoint.Pages.Count, checkpoint.DataBytes + checkpoint.Machine.Length, encodedBytes + checkpoint.Machine.Length);
    }

    private static readonly byte[] ZeroPage = new byte[PageCodec.PageSize];
}
