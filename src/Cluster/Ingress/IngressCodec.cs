using FaultTolerant.Guest;
using FaultTolerant.Replica.Inputs;
using FaultTolerant.Replica.Primary;
using static FaultTolerant.Cluster.Ingress.IngressMessage;

namespace FaultTolerant.Cluster.Ingress;

/// <summary>Ingress messages to frames and back (layouts in docs/GATEWAY.md). Every field is little-endian.</summary>
public static class IngressCodec
{
    /// <summary>The whole frame, header and payload.</summary>
    /// <exception cref="ArgumentException">A string longer than 1024 UTF-8 bytes, or a payload larger than a frame may be.</exception>
    public static byte[] Encode(IngressMessage message)
    {
        switch (message)
        {
            case Hello h:
            {
                var w = new PayloadWriter(64 + 8 * h.Claims.Count);
                w.String(h.Guest);
                w.U64(h.Generation);
                w.String(h.GatewayId);
                w.I32(h.Claims.Count);
                foreach (var c in h.Claims) w.I64(c);
                return w.Finish(IngressFrameType.Hello);
            }
            case Connect c:
            {
                var w = new PayloadWriter(20);
                w.I64(c.RequestId);
                w.I32(c.Port);
                w.U32(c.PeerAddress);
                w.I32(c.PeerPort);
                return w.Finish(IngressFrameType.Connect);
            }
            case Deliver d:
            {
                var w = new PayloadWriter(16 + d.Data.Length);
                w.I64(d.Connection);
                w.I64(d.Offset);
                w.Bytes(d.Data);
                return w.Finish(IngressFrameType.Deliver);
            }
            case EndInput e:
                return Single(IngressFrameType.EndInput, e.Connection);
            case Ack a:
                return Single(IngressFrameType.Ack, a.Sequence);
            case Heartbeat:
                return new PayloadWriter(0).Finish(IngressFrameType.Heartbeat);
            case Welcome welcome:
            {
                var w = new PayloadWriter(16 + ConnectionBytes * welcome.Connections.Count + 8 * welcome.Lost.Count);
                w.U64(welcome.Generation);
                w.I32(welcome.Connections.Count);
                foreach (var c in welcome.Connections)
                {
                    w.I64(c.Id);
                    w.I32(c.Port);
                    w.I64(c.Received);
                    w.I64(c.Sent);
                    w.I64(c.Released);
                    w.U8((byte)((c.Accepted ? 1 : 0) | (c.InputEnded ? 2 : 0) | (c.OutputClosed ? 4 : 0)));
                }
                w.I32(welcome.Lost.Count);
                foreach (var id in welcome.Lost) w.I64(id);
                return w.Finish(IngressFrameType.Welcome);
            }
            case Refused r:
            {
                var w = new PayloadWriter(16 + r.Message.Length);
                w.U8((byte)r.Reason);
                w.U64(r.Generation);
                w.String(Truncate(r.Message));
                return w.Finish(IngressFrameType.Refused);
            }
            case Connected c:
            {
                var w = new PayloadWriter(16);
                w.I64(c.RequestId);
                w.I64(c.Connection);
                return w.Finish(IngressFrameType.Connected);
            }
            case ConnectRefused r:
            {
                var w = new PayloadWriter(16 + r.Message.Length);
                w.I64(r.RequestId);
                w.U8((byte)r.Reason);
                w.String(Truncate(r.Message));
                return w.Finish(IngressFrameType.ConnectRefused);
            }
            case IngressMessage.Release r:
            {
                var w = new PayloadWriter(32 + r.Output.Sum(o => OutputBytes + o.Data.Length) + CommittedBytes * r.Connections.Count);
                w.I64(r.Sequence);
                w.U64(r.Generation);
                w.U64(r.Epoch);
                w.I32(r.Output.Count);
                foreach (var o in r.Output)
                {
                    w.I64(o.StreamId);
                    w.I64(o.Offset);
                    w.U8(o.Closed ? (byte)1 : (byte)0);
                    w.I32(o.Data.Length);
                    w.Bytes(o.Data);
                }
                w.I32(r.Connections.Count);
                foreach (var c in r.Connections)
                {
                    w.I64(c.Connection);
                    w.I64(c.Received);
                    w.I64(c.Sent);
                }
                return w.Finish(IngressFrameType.Release);
            }
            default:
                throw new ArgumentException($"not an ingress message: {message.GetType().Name}", nameof(message));
        }
    }

    /// <summary>Parses and verifies a frame held whole in memory.</summary>
    /// <exception cref="IngressProtocolException">Anything wrong with it.</exception>
    public static IngressMessage Decode(ReadOnlySpan<byte> frame)
    {
        var header = IngressFrameHeader.Parse(frame, out var checksum);
        if (frame.Length != IngressFrameHeader.Size + header.PayloadLength)
        {
            throw new IngressProtocolException($"ingress frame is {frame.Length} bytes, its header says {IngressFrameHeader.Size + header.PayloadLength}");
        }
        var payload = frame[IngressFrameHeader.Size..];
        IngressFrameHeader.Verify(frame, payload, checksum);
        return DecodePayload(header.Type, payload);
    }

    /// <summary>Reads one frame from a stream; null at a clean end of stream between frames.</summary>
    /// <param name="header">A reusable buffer of <see cref="IngressFrameHeader.Size"/> bytes.</param>
    /// <exception cref="IngressProtocolException">A malformed or corrupted frame, or a stream that ends inside one.</exception>
    public static async ValueTask<IngressMessage?> ReadAsync(Stream stream, byte[] header, CancellationToken cancellation)
    {
        int got = await stream.ReadAtLeastAsync(header.AsMemory(0, IngressFrameHeader.Size), IngressFrameHeader.Size, throwOnEndOfStream: false, cancellation);
        if (got == 0) return null;
        if (got < IngressFrameHeader.Size) throw new IngressProtocolException($"stream ended inside an ingress frame header ({got} of {IngressFrameHeader.Size} bytes)");
        var parsed = IngressFrameHeader.Parse(header, out var checksum);
        var payload = new byte[parsed.PayloadLength];
        got = await stream.ReadAtLeastAsync(payload, payload.Length, throwOnEndOfStream: false, cancellation);
        if (got < payload.Length) throw new IngressProtocolException($"stream ended inside an ingress {parsed.Type} frame ({got} of {payload.Length} payload bytes)");
        IngressFrameHeader.Verify(header, payload, checksum);
        return DecodePayload(parsed.Type, payload);
    }

    private const int ConnectionBytes = 8 + 4 + 8 + 8 + 8 + 1;
    private const int OutputBytes = 8 + 8 + 1 + 4;
    private const int CommittedBytes = 8 + 8 + 8;

    private static IngressMessage DecodePayload(IngressFrameType type, ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload, type);
        IngressMessage message = type switch
        {
            IngressFrameType.Hello => ReadHello(ref r),
            IngressFrameType.Connect => new Connect(r.I64(), r.I32(), r.U32(), r.I32()),
            IngressFrameType.Deliver => new Deliver(r.Offset("connection"), r.Offset("offset"), r.Bytes(r.Remaining)),
            IngressFrameType.EndInput => new EndInput(r.Offset("connection")),
            IngressFrameType.Ack => new Ack(r.Offset("sequence")),
            IngressFrameType.Heartbeat => Heartbeat.Instance,
            IngressFrameType.Welcome => ReadWelcome(ref r),
            IngressFrameType.Refused => new Refused(Reason<RefusalReason>(r.U8(), type), r.U64(), r.String()),
            IngressFrameType.Connected => new Connected(r.I64(), r.Offset("connection")),
            IngressFrameType.ConnectRefused => new ConnectRefused(r.I64(), Reason<ConnectRefusal>(r.U8(), type), r.String()),
            IngressFrameType.Release => ReadRelease(ref r),
            _ => throw new IngressProtocolException($"unknown ingress frame type {(byte)type}"),
        };
        r.End();
        return message;
    }

    private static Hello ReadHello(ref PayloadReader r)
    {
        string guest = r.String();
        ulong generation = r.U64();
        string gateway = r.String();
        var claims = new long[r.Count(8)];
        for (int i = 0; i < claims.Length; i++) claims[i] = r.Offset("claimed connection");
        return new Hello(guest, generation, gateway, claims);
    }

    private static Welcome ReadWelcome(ref PayloadReader r)
    {
        ulong generation = r.U64();
        var connections = new ConnectionInfo[r.Count(ConnectionBytes)];
        for (int i = 0; i < connections.Length; i++)
        {
            long id = r.Offset("connection");
            int port = r.I32();
            long received = r.Offset("received offset"), sent = r.Offset("sent offset"), released = r.Offset("released offset");
            byte flags = r.U8();
            if ((flags & ~7) != 0) throw new IngressProtocolException($"ingress Welcome frame: unknown connection flags {flags}");
            connections[i] = new ConnectionInfo(id, port, received, sent, released, (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0);
        }
        var lost = new long[r.Count(8)];
        for (int i = 0; i < lost.Length; i++) lost[i] = r.Offset("lost connection");
        return new Welcome(generation, connections, lost);
    }

    private static IngressMessage.Release ReadRelease(ref PayloadReader r)
    {
        long sequence = r.Offset("sequence");
        ulong generation = r.U64(), epoch = r.U64();
        var output = new ReleasedOutput[r.Count(OutputBytes)];
        for (int i = 0; i < output.Length; i++)
        {
            long stream = r.Offset("stream"), offset = r.Offset("output offset");
            bool closed = r.Bool();
            output[i] = new ReleasedOutput(stream, offset, r.Bytes(r.I32()), closed);
        }
        var connections = new CommittedOffsets[r.Count(CommittedBytes)];
        for (int i = 0; i < connections.Length; i++) connections[i] = new CommittedOffsets(r.Offset("connection"), r.Offset("received offset"), r.Offset("sent offset"));
        return new IngressMessage.Release(sequence, generation, epoch, output, connections);
    }

    private static T Reason<T>(byte value, IngressFrameType type) where T : struct, Enum
    {
        var reason = (T)Enum.ToObject(typeof(T), value);
        return Enum.IsDefined(reason) ? reason : throw new IngressProtocolException($"ingress {type} frame: unknown reason {value}");
    }

    private static byte[] Single(IngressFrameType type, long value)
    {
        var w = new PayloadWriter(8);
        w.I64(value);
        return w.Finish(type);
    }

    /// <summary>A reason is for logs: cut it rather than fail to send it.</summary>
    private static string Truncate(string message)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(message) <= PayloadReader.MaxString) return message;
        return message[..Math.Min(message.Length, PayloadReader.MaxString / 4)];
    }
}
