using FaultTolerant.Guest;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Tests.Support;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Tests.Channel;

/// <summary>Real checkpoints of a real guest, made on the test's thread: for driving a link or a listener by hand.</summary>
public sealed class GuestFrames(ulong guestId, string program, params string[] args)
{
    private readonly Rv64Guest _guest = TestGuests.Load(program, args);
    private readonly CheckpointEncoder _encoder = new(guestId, new ShippedPageCache(64 << 20));

    public ulong Epoch { get; private set; }

    public Dictionary<ulong, UInt128> HashAt { get; } = [];

    /// <summary>Runs the guest a little and encodes the next epoch: full when asked, or for the first.</summary>
    public EncodedCheckpoint Next(ulong generation = 1, bool full = false, long instructions = 50_000)
    {
        _guest.Run(instructions);
        _guest.TakeOutput();
        Epoch++;
        var checkpoint = _guest.Checkpoint(full || Epoch == 1);
        HashAt[Epoch] = _guest.StateHash();
        return _encoder.Encode(checkpoint, generation, Epoch);
    }

    public static byte[] Hello(ulong guestId, ulong generation, string guestName = "g", string sender = "test") =>
        Frame.Create(FrameType.Hello, guestId, generation, 0, new HelloPayload(guestName, sender).Encode()).ToBytes();

    public static byte[] Bytes(EncodedCheckpoint checkpoint) => [.. checkpoint.Frames.SelectMany(f => f.ToBytes())];
}
