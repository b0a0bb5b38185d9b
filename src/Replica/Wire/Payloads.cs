using FaultTolerant.Guest;
using FaultTolerant.Guest.Memory;
using FaultTolerant.Guest.State;
using FaultTolerant.Replica.Codec;

namespace FaultTolerant.Replica.Wire;

/// <summary>Hello: the guest's name and the sender, so a backup can route the connection and log who it is.</summary>
public sealed record HelloPayload(string GuestName, string Sender)
{
    public byte[] Encode()
    {
        var w = new StateWriter(256);
        w.String(GuestName);
        w.String(Sender);
        return w.ToArray();
    }

    public static HelloPayload Decode(ReadOnlySpan<byte> payload) =>
        Payloads.Read(payload, (ref StateReader r) => new HelloPayload(r.String(), r.String()));
}

/// <summary>Opens a checkpoint: what kind, which capture it follows, and everything but the pages.</summary>
/// <param name="Plain">
/// Encoded against nothing, for a backup in a pre-copy; a shared delta (against the pages as last shipped) is
/// for in-sync backups only, so a backup still syncing that sees one knows the end of its pre-copy was lost.
/// </param>
public sealed record CheckpointBeginPayload(bool IsFull, ulong Sequence, ulong BaseSequence, long PageLimit, int PageCount,
    IReadOnlyList<ulong> Unmapped, ReadOnlyMemory<byte> Machine, bool Plain = false)
{
    public byte[] Encode()
    {
        var w = new StateWriter(64 + Unmapped.Count * 8 + Machine.Length);
        w.Bool(IsFull);
        w.Bool(Plain);
        w.U64(Sequence);
        w.U64(BaseSequence);
        w.I64(PageLimit);
        w.I32(PageCount);
        w.I32(Unmapped.Count);
        foreach (var vpn in Unmapped) w.U64(vpn);
        w.Bytes(Machine.Span);
        return w.ToArray();
    }

    public static CheckpointBeginPayload Decode(ReadOnlySpan<byte> payload) =>
        Payloads.Read(payload, (ref StateReader r) =>
        {
            bool full = r.Bool();
            bool plain = r.Bool();
            ulong seq = r.U64(), baseSeq = r.U64();
            long limit = r.I64();
            int pages = r.I32();
            if (pages < 0) throw new FrameException($"negative page count {pages}");
            var unmapped = new ulong[r.Count(8)];
            for (int i = 0; i < unmapped.Length; i++) unmapped[i] = r.U64();
            return new CheckpointBeginPayload(full, seq, baseSeq, limit, pages, unmapped, r.Bytes().ToArray(), plain);
        });
}

/// <summary>Starts a pre-copy: the guest's page limit, so the backup can bound what it stages.</summary>
public sealed record SyncBeginPayload(long PageLimit)
{
    public byte[] Encode()
    {
        var w = new StateWriter(8);
        w.I64(PageLimit);
        return w.ToArray();
    }

    public static SyncBeginPayload Decode(ReadOnlySpan<byte> payload) =>
        Payloads.Read(payload, (ref StateReader r) =>
        {
            long limit = r.I64();
            return limit > 0 ? new SyncBeginPayload(limit) : throw new FrameException($"bad page limit {limit}");
        });
}

/// <summary>
/// Ends a pre-copy's copies: how many pages were copied and a hash over them, so a backup that lost any of them
/// (the copies carry no sequence of their own) refuses the image instead of committing it with holes.
/// </summary>
public sealed record SyncEndPayload(long Pages, ulong CopiesHash)
{
    public byte[] Encode()
    {
        var w = new StateWriter(16);
        w.I64(Pages);
        w.U64(CopiesHash);
        return w.ToArray();
    }

    public static SyncEndPayload Decode(ReadOnlySpan<byte> payload) =>
        Payloads.Read(payload, (ref StateReader r) => new SyncEndPayload(r.I64(), r.U64()));
}

/// <summary>A running hash over pre-copy pages as copied (number, permissions, bytes), the same on both sides.</summary>
public sealed class CopiesHash
{
    private readonly System.IO.Hashing.XxHash3 _hash = new();

    public long Pages { get; private set; }

    public void Add(CheckpointPage page)
    {
        Span<byte> record = stackalloc byte[9];
        BitConverter.TryWriteBytes(record, page.Number);
        record[8] = (byte)page.Permissions;
        _hash.Append(record);
        _hash.Append(page.Data.Span);
        Pages++;
    }

    public ulong Value => _hash.GetCurrentHashAsUInt64();
}

/// <summary>One encoded page inside a Pages frame.</summary>
public readonly record struct EncodedPage(ulong Number, PagePermissions Permissions, PageEncoding Encoding, ReadOnlyMemory<byte> Body);

/// <summary>A batch of encoded pages.</summary>
public static class PagesPayload
{
    public const int RecordHeader = 8 + 1 + 1 + 4;

    public static byte[] Encode(IReadOnlyList<EncodedPage> pages)
    {
        var w = new StateWriter(4 + pages.Sum(p => RecordHeader + p.Body.Length));
        w.I32(pages.Count);
        foreach (var p in pages)
        {
            w.U64(p.Number);
            w.U8((byte)p.Permissions);
            w.U8((byte)p.Encoding);
            w.Bytes(p.Body.Span);
        }
        return w.ToArray();
    }

    /// <summary>The pages, their bodies sliced from <paramref name="payload"/> without copying.</summary>
    public static List<EncodedPage> Decode(ReadOnlyMemory<byte> payload)
    {
        var list = new List<EncodedPage>();
        Payloads.Read(payload.Span, (ref StateReader r) =>
        {
            int count = r.Count(RecordHeader);
            for (int i = 0; i < count; i++)
            {
                ulong vpn = r.U64();
                var perms = (PagePermissions)r.U8();
                var encoding = (PageEncoding)r.U8();
                int length = r.Count();
                int at = r.Position;
                r.Raw(length);
                list.Add(new EncodedPage(vpn, perms, encoding, payload.Slice(at, length)));
            }
            return list;
        });
        return list;
    }
}

/// <summary>Closes a checkpoint: how many pages it had and a hash of the decoded checkpoint, checked end to end.</summary>
public sealed record CheckpointEndPayload(int PageCount, ulong ContentHash)
{
    public byte[] Encode()
    {
        var w = new StateWriter(12);
        w.I32(PageCount);
        w.U64(ContentHash);
        return w.ToArray();
    }

    public static CheckpointEndPayload Decode(ReadOnlySpan<byte> payload) =>
        Payloads.Read(payload, (ref StateReader r) => new CheckpointEndPayload(r.I32(), r.U64()));

    /// <summary>XXH3 over the machine section and every page (number, permissions, bytes; zero pages as no bytes).</summary>
    public static ulong Hash(GuestCheckpoint c)
    {
        var hash = new System.IO.Hashing.XxHash3();
        hash.Append(c.Machine.Span);
        Span<byte> record = stackalloc byte[9];
        foreach (var p in c.Pages)
        {
            BitConverter.TryWriteBytes(record, p.Number);
            record[8] = (byte)p.Permissions;
            hash.Append(record);
            hash.Append(p.Data.Span);
        }
        return hash.GetCurrentHashAsUInt64();
    }
}

internal static class Payloads
{
    public delegate T Reader<out T>(ref StateReader r);

    /// <summary>Decodes a whole payload: too short, too long or malformed is a <see cref="FrameException"/>.</summary>
    public static T Read<T>(ReadOnlySpan<byte> payload, Reader<T> read)
    {
        var r = new StateReader(payload);
        T value;
        try
        {
            value = read(ref r);
        }
        catch (CorruptStateException e)
        {
            throw new FrameException($"malformed frame payload: {e.Message}", e);
        }
        if (!r.AtEnd) throw new FrameException("trailing bytes in a frame payload");
        return value;
    }
}
