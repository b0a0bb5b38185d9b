using System.Buffers.Binary;
using FaultTolerant.Cluster.Ingress;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Inputs;
using FaultTolerant.Replica.Primary;
using static FaultTolerant.Cluster.Ingress.IngressMessage;

namespace FaultTolerant.Cluster.Tests.Ingress;

/// <summary>
/// The ingress frames: every message comes back as it was sent, and whatever is not a frame of this version exactly —
/// a flipped bit anywhere, a cut anywhere, an unknown type or version, a forged count, bytes left over — is refused with
/// an <see cref="IngressProtocolException"/>, never half-read.
/// </summary>
public sealed class IngressCodecTests
{
    public static IReadOnlyList<IngressMessage> Messages { get; } =
    [
        new Hello("miniredis", 7, "node-b", [16, 17, 40]),
        new Hello("ünïcode-guest", 0, "", []),
        new Connect(3, 6379, 0x0a000002, 51234),
        new Deliver(16, 1234, [1, 2, 3, 0, 255]),
        new Deliver(17, 0, []),
        new EndInput(16),
        new Ack(99),
        Heartbeat.Instance,
        new Welcome(2, [new ConnectionInfo(16, 6379, 100, 200, 150, true, false, false), new ConnectionInfo(17, 7, 0, 0, 0, false, true, true)], [18, 19]),
        new Welcome(1, [], []),
        new Refused(RefusalReason.StaleGeneration, 3, "the primary here is of generation 3"),
        new Connected(3, 21),
        new ConnectRefused(4, ConnectRefusal.GuestRefused, "guest port 6379: connection refused (nothing listens)"),
        new IngressMessage.Release(5, 2, 40,
            [new ReleasedOutput(16, 150, "+OK\r\n"u8.ToArray(), false), new ReleasedOutput(17, 0, [], true), new ReleasedOutput(GuestStreams.Stdout, 9, "log\n"u8.ToArray(), false)],
            [new CommittedOffsets(16, 100, 200), new CommittedOffsets(17, 0, 0)]),
    ];

    [Fact]
    public async Task Every_message_comes_back_equal_from_its_frame_alone_and_from_a_stream_of_them_all()
    {
        foreach (var m in Messages) Assert.Equal(m, IngressCodec.Decode(IngressCodec.Encode(m)));

        var stream = new MemoryStream(Messages.SelectMany(IngressCodec.Encode).ToArray());
        var header = new byte[IngressFrameHeader.Size];
        foreach (var m in Messages) Assert.Equal(m, await IngressCodec.ReadAsync(stream, header, CancellationToken.None));
        Assert.Null(await IngressCodec.ReadAsync(stream, header, CancellationToken.None));
    }

    [Fact]
    public void A_single_flipped_bit_anywhere_in_a_frame_is_refused()
    {
        foreach (var m in Messages)
        {
            var frame = IngressCodec.Encode(m);
            for (int bit = 0; bit < frame.Length * 8; bit++)
            {
                var bad = (byte[])frame.Clone();
                bad[bit / 8] ^= (byte)(1 << (bit % 8));
                Assert.ThrowsAny<IngressProtocolException>(() => IngressCodec.Decode(bad));
            }
        }
    }

    [Fact]
    public async Task A_frame_cut_anywhere_is_refused_and_a_stream_cut_between_frames_ends_cleanly()
    {
        var header = new byte[IngressFrameHeader.Size];
        foreach (var m in Messages)
        {
            var frame = IngressCodec.Encode(m);
            for (int n = 1; n < frame.Length; n++)
            {
                Assert.ThrowsAny<IngressProtocolException>(() => IngressCodec.Decode(frame.AsSpan(0, n)));
                var cut = new MemoryStream(frame[..n]);
                await Assert.ThrowsAnyAsync<IngressProtocolException>(async () => await IngressCodec.ReadAsync(cut, header, CancellationToken.None));
            }
        }
        Assert.Null(await IngressCodec.ReadAsync(new MemoryStream(), header, CancellationToken.None));
    }

    [Fact]
    public void Frames_with_a_good_checksum_but_an_unknown_type_version_or_magic_or_an_impossible_length_are_refused()
    {
        Assert.Contains("unknown ingress frame type 99", Refusal(Frame(99, [])));
        var version = Frame((byte)IngressFrameType.Heartbeat, []);
        version[4] = 2;
        var unsupported = Assert.Throws<UnsupportedIngressVersionException>(() => IngressCodec.Decode(version));
        Assert.Equal(2, unsupported.Found);
        var magic = Frame((byte)IngressFrameType.Heartbeat, []);
        magic[0] = (byte)'X';
        Assert.Contains("bad magic", Refusal(magic));
        var huge = Frame((byte)IngressFrameType.Heartbeat, []);
        BinaryPrimitives.WriteInt32LittleEndian(huge.AsSpan(8), IngressFrameHeader.MaxPayload + 1);
        Assert.Contains("out of range", Refusal(huge));
        var negative = Frame((byte)IngressFrameType.Heartbeat, []);
        BinaryPrimitives.WriteInt32LittleEndian(negative.AsSpan(8), -1);
        Assert.Contains("out of range", Refusal(negative));
        var reserved = Frame((byte)IngressFrameType.Heartbeat, []);
        reserved[6] = 1;
        Assert.Contains("reserved", Refusal(reserved));
    }

    [Fact]
    public void Payloads_that_check_out_but_do_not_parse_are_refused()
    {
        // A Release whose output count claims more entries than the payload could hold: refused before anything is allocated.
        var forged = new byte[28];
        BinaryPrimitives.WriteInt32LittleEndian(forged.AsSpan(24), int.MaxValue);
        Assert.Contains("does not fit", Refusal(Frame((byte)IngressFrameType.Release, forged)));
        // A heartbeat with a byte in it, an ack with bytes left over.
        Assert.Contains("left over", Refusal(Frame((byte)IngressFrameType.Heartbeat, [0])));
        Assert.Contains("left over", Refusal(Frame((byte)IngressFrameType.Ack, new byte[9])));
        // A field cut short, a negative connection id, an unknown refusal reason, a flag that is neither 0 nor 1, bad UTF-8.
        Assert.Contains("truncated", Refusal(Frame((byte)IngressFrameType.EndInput, new byte[7])));
        Assert.Contains("negative", Refusal(Frame((byte)IngressFrameType.EndInput, BitConverter.GetBytes(-5L))));
        Assert.Contains("unknown reason", Refusal(Frame((byte)IngressFrameType.Refused, [9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])));
        var release = IngressCodec.Encode(new IngressMessage.Release(1, 1, 1, [new ReleasedOutput(16, 0, [], false)], []));
        var payload = release[IngressFrameHeader.Size..];
        payload[28 + 16] = 2; // the output's closed flag
        Assert.Contains("neither 0 nor 1", Refusal(Frame((byte)IngressFrameType.Release, payload)));
        Assert.Contains("UTF-8", Refusal(Frame((byte)IngressFrameType.Hello, [2, 0, 0xff, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])));
    }

    [Fact]
    public void Client_bytes_and_output_fit_in_a_frame_only_up_to_its_bound()
    {
        var big = new Deliver(16, 0, new byte[IngressFrameHeader.MaxPayload]);
        Assert.Throws<ArgumentException>(() => IngressCodec.Encode(big));
        Assert.Throws<ArgumentException>(() => IngressCodec.Encode(new Hello(new string('x', 1025), 0, "b", [])));
    }

    /// <summary>A frame with a correct checksum around whatever payload and type byte.</summary>
    private static byte[] Frame(byte type, byte[] payload)
    {
        var frame = new byte[IngressFrameHeader.Size + payload.Length];
        payload.CopyTo(frame, IngressFrameHeader.Size);
        new IngressFrameHeader((IngressFrameType)type, payload.Length).Write(frame, payload);
        return frame;
    }

    private static string Refusal(byte[] frame) => Assert.ThrowsAny<IngressProtocolException>(() => IngressCodec.Decode(frame)).Message;
}
