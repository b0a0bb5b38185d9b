using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using FaultTolerant.Bench.Guest;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Channel;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Bench.Replication;

/// <summary>
/// The data channel's throughput for a 256 MiB full image (memstress 65536 after its first round): <c>CheckpointEncoder.Encode</c>'s frames sent through a
/// <see cref="TcpBackupLink"/> to a <see cref="DataChannelListener"/> whose receiver only counts bytes, against raw
/// loopback TCP carrying the same bytes in 1 MiB writes to a reader that only counts them.
/// </summary>
internal static class ChannelThroughput
{
    public const double Target = 0.5;

    private const int PageCount = 65536;
    private const int Runs = 5;
    private const int RawWrite = 1 << 20;

    public static async Task<JsonNode> RunAsync(BenchContext ctx, Report report)
    {
        Console.WriteLine($"channel: memstress {PageCount}, after its first round …");
        var guest = Rv64Guest.Load(File.ReadAllBytes(ctx.GuestElf("memstress.elf")), ["memstress", $"{PageCount}", "1000"], options: new GuestOptions());
        var stdout = new StringBuilder();
        while (!stdout.ToString().Contains("round 1:", StringComparison.Ordinal))
        {
            if (guest.Run(GuestHarness.Slice) is not GuestRunResult.BudgetExhausted) throw new InvalidOperationException("memstress ended before its first round");
            GuestHarness.Drain(guest, stdout);
        }

        // A full image is encoded against nothing: with LZ4 off every page that is not all zeros goes raw, so memstress's
        // 65,536 pages (one nonzero word each) put the whole 256 MiB on the wire.
        var checkpoint = guest.Checkpoint(full: true);
        var encoded = new CheckpointEncoder(1, new ShippedPageCache(64L << 20)).Encode(checkpoint, 1, 1);
        var compressed = new CheckpointEncoder(1, new ShippedPageCache(64L << 20), lz4: true).Encode(checkpoint, 1, 2);
        long wireBytes = encoded.Frames.Sum(f => (long)FrameHeader.Size + f.Payload.Length);
        Console.WriteLine($"channel: {encoded.Frames.Count} frames, {Units.MiB(wireBytes)} on the wire for {Units.MiB(checkpoint.DataBytes)} of pages");

        var counter = new CountingReceiver();
        await using var listener = new DataChannelListener(new IPEndPoint(IPAddress.Loopback, 0), (_, _) => counter, _ => { });
        listener.Start();
        await using var link = new TcpBackupLink("bench", listener.LocalEndpoint, 1, "memstress", 1, "bench");
        await link.WaitConnectedAsync().WaitAsync(TimeSpan.FromSeconds(10));

        var raw = Concatenate(encoded.Frames, wireBytes);
        using var rawSink = new RawSink();

        var channelTimes = new List<TimeSpan>();
        var rawTimes = new List<TimeSpan>();
        // One warm-up of each, then alternate which goes first.
        for (int run = -1; run < Runs; run++)
        {
            Measure.Settle();
            var c = await TimeChannelAsync(link, counter, encoded, wireBytes);
            Measure.Settle();
            var r = await rawSink.TimeAsync(raw);
            if (run < 0) continue;
            channelTimes.Add(c);
            rawTimes.Add(r);
        }
        var channel = new Samples(channelTimes);
        var tcp = new Samples(rawTimes);
        double channelRate = wireBytes / channel.Median.TotalSeconds / 1e9;
        double rawRate = wireBytes / tcp.Median.TotalSeconds / 1e9;
        double ratio = channelRate / rawRate;
        report.Add(new Row($"Data channel: {Units.MiB(checkpoint.DataBytes)} full image", $"{channelRate:F2} GB/s ({Units.Auto(channel.Median)})",
            $"raw TCP {rawRate:F2} GB/s ({Units.Auto(tcp.Median)})", ratio, $"≥ {Target:F1}×", Report.AtLeast(ratio, Target)));

        // Context: the same image with LZ4 on, through the same channel.
        var compressedBytes = compressed.Frames.Sum(f => (long)FrameHeader.Size + f.Payload.Length);
        var compressedTime = new Samples(await RepeatAsync(3, () => TimeChannelAsync(link, counter, compressed, compressedBytes)));
        report.Add(new Row("  … the same image encoded with lz4 on", $"{Units.MiB(compressedBytes)} on the wire in {Units.Auto(compressedTime.Median)}",
            $"lz4 off: {Units.MiB(wireBytes)} in {Units.Auto(channel.Median)}", compressedTime.Median / channel.Median, "— (time ratio; context)", Verdict.Info));
        report.Note($"Data channel: memstress {PageCount} stopped after its first round (each page holds one nonzero word); Checkpoint(full: true) and " +
                    $"CheckpointEncoder.Encode with lz4 off give {encoded.Frames.Count} frames, {Units.MiB(wireBytes)} with headers (a full image is encoded against " +
                    "nothing, so without LZ4 every nonzero page goes raw). Timed: from TcpBackupLink.Send to the listener's receiver having counted every frame byte (the listener " +
                    "parses and checksums each frame; the receiver only counts). Reference: the same bytes, concatenated, written to a plain loopback socket in 1 MiB " +
                    "writes (default socket buffers, Nagle on) to a reader that counts them, timed the same way. Medians of 5 alternated runs after one warm-up each; " +
                    $"channel runs {channel.Describe(Units.Auto)}, raw {tcp.Describe(Units.Auto)}. Both ends are in this process.");
        return new JsonObject
        {
            ["imageBytes"] = checkpoint.DataBytes,
            ["wireBytes"] = wireBytes,
            ["channelGBps"] = Math.Round(channelRate, 3),
            ["rawTcpGBps"] = Math.Round(rawRate, 3),
            ["ratio"] = Math.Round(ratio, 3),
            ["target"] = Target,
            ["pass"] = ratio >= Target,
            ["lz4WireBytes"] = compressedBytes,
            ["lz4ChannelMilliseconds"] = Math.Round(compressedTime.Median.TotalMilliseconds, 2),
        };
    }

    private static async Task<TimeSpan> TimeChannelAsync(TcpBackupLink link, CountingReceiver counter, EncodedCheckpoint encoded, long bytes)
    {
        var done = counter.Expect(bytes);
        long start = Stopwatch.GetTimestamp();
        link.Send(encoded);
        await done.WaitAsync(TimeSpan.FromSeconds(60));
        return Stopwatch.GetElapsedTime(start);
    }

    private static async Task<List<TimeSpan>> RepeatAsync(int runs, Func<Task<TimeSpan>> run)
    {
        await run();
        var times = new List<TimeSpan>();
        for (int i = 0; i < runs; i++) times.Add(await run());
        return times;
    }

    private static byte[] Concatenate(IReadOnlyList<Frame> frames, long total)
    {
        var all = GC.AllocateUninitializedArray<byte>(checked((int)total));
        int at = 0;
        foreach (var f in frames)
        {
            var bytes = f.ToBytes();
            bytes.CopyTo(all, at);
            at += bytes.Length;
        }
        return all;
    }

    /// <summary>A backup that only counts what arrives, and says when an expected amount has.</summary>
    private sealed class CountingReceiver : IFrameReceiver
    {
        private readonly Lock _lock = new();
        private long _count;
        private long _expected;
        private TaskCompletionSource? _done;

        public Task Expect(long bytes)
        {
            lock (_lock)
            {
                _count = 0;
                _expected = bytes;
                _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return _done.Task;
            }
        }

        public AssemblyOutcome Receive(Frame frame)
        {
            lock (_lock)
            {
                _count += FrameHeader.Size + frame.Payload.Length;
                if (_count >= _expected) _done?.TrySetResult();
            }
            return AssemblyOutcome.Staged.Instance;
        }

        public AssemblyOutcome ChannelBroken(string reason)
        {
            lock (_lock) _done?.TrySetException(new IOException($"the data channel broke: {reason}"));
            return new AssemblyOutcome.ResyncNeeded(reason);
        }
    }

    /// <summary>The reference: a loopback connection whose reader only counts bytes.</summary>
    private sealed class RawSink : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        public RawSink()
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(1);
        }

        public async Task<TimeSpan> TimeAsync(byte[] data)
        {
            using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var accepting = _listener.AcceptAsync();
            await sender.ConnectAsync(_listener.LocalEndPoint!);
            using var receiver = await accepting;
            var reading = Task.Run(async () =>
            {
                var buffer = new byte[RawWrite];
                long total = 0;
                while (total < data.Length)
                {
                    int n = await receiver.ReceiveAsync(buffer, SocketFlags.None);
                    if (n == 0) throw new IOException("the raw sender closed early");
                    total += n;
                }
            });
            long start = Stopwatch.GetTimestamp();
            for (int at = 0; at < data.Length; at += RawWrite)
            {
                var chunk = data.AsMemory(at, Math.Min(RawWrite, data.Length - at));
                while (!chunk.IsEmpty) chunk = chunk[await sender.SendAsync(chunk, SocketFlags.None)..];
            }
            await reading.WaitAsync(TimeSpan.FromSeconds(60));
            return Stopwatch.GetElapsedTime(start);
        }

        public void Dispose() => _listener.Dispose();
    }
}
