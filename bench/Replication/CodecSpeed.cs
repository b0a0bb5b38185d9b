using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using FaultTolerant.Bench.Guest;
using FaultTolerant.Guest;
using FaultTolerant.Guest.State;
using FaultTolerant.Replica.Codec;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Bench.Replication;

/// <summary>
/// The page codec on real consecutive checkpoints of running guests: <see cref="CheckpointEncoder"/> (what the shipper
/// thread runs per epoch, frames and checksums included) and <see cref="PageCodec.Decode"/> on every page of its frames
/// against the receiver's copies, with LZ4 off and on. Reference: a plain copy of the same pages into a new buffer.
/// </summary>
internal static class CodecSpeed
{
    private const long MaxBytesPerWorkload = 256L << 20;

    private sealed record Workload(string Name, string Pattern, IReadOnlyList<GuestCheckpoint> Checkpoints, bool TimeFirst);

    public static JsonNode Run(BenchContext ctx, Report report)
    {
        var workloads = new List<Workload>
        {
            Memstress(ctx, 4096, 300_000, 24),
            MemstressImage(ctx, 65536),
            DenseImage(ctx, 16384),
            Miniredis(ctx, 40),
            Compute(ctx, 40),
        };
        // Warm-up: every path of the encoder and decoder, untimed.
        foreach (bool lz4 in new[] { false, true }) Measure(workloads[0], lz4);

        var rows = new JsonArray();
        foreach (var w in workloads)
        {
            foreach (bool lz4 in new[] { false, true })
            {
                Console.WriteLine($"codec: {w.Name}, lz4 {(lz4 ? "on" : "off")} …");
                var m = Measure(w, lz4);
                double ratio = (double)m.Encoded / m.Raw;
                report.Add(new Row($"Codec: {w.Name}, lz4 {(lz4 ? "on" : "off")}",
                    $"encode {Gbps(m.Raw, m.Encode):F2} GB/s, decode {Gbps(m.Raw, m.Decode):F2} GB/s; {Units.MiB(m.Raw)} → {Units.MiB(m.Encoded)}",
                    $"copy {Gbps(m.Raw, m.Copy):F2} GB/s", ratio, "— (size ratio; context)", Verdict.Info));
                rows.Add(new JsonObject
                {
                    ["workload"] = w.Name,
                    ["pattern"] = w.Pattern,
                    ["lz4"] = lz4,
                    ["checkpoints"] = m.Checkpoints,
                    ["rawBytes"] = m.Raw,
                    ["encodedBytes"] = m.Encoded,
                    ["sizeRatio"] = Math.Round(ratio, 4),
                    ["encodeGBps"] = Math.Round(Gbps(m.Raw, m.Encode), 3),
                    ["decodeGBps"] = Math.Round(Gbps(m.Raw, m.Decode), 3),
                    ["copyGBps"] = Math.Round(Gbps(m.Raw, m.Copy), 3),
                });
            }
        }
        report.Note("Codec method: each workload is a guest run in epochs with Checkpoint() at every boundary (the first full, then deltas); for lz4 off and on, " +
                    "a fresh CheckpointEncoder (64 MiB ShippedPageCache, as PrimaryOptions' default) encodes them in order, timed per checkpoint (pages, frames, " +
                    "checksums, cache updates), then every Pages frame is parsed and each page decoded with PageCodec.Decode against the receiver's copy (in place), timed. " +
                    "For delta workloads the first, full checkpoint primes both sides untimed. GB/s are raw page bytes (plus the machine section) per second; size ratio = " +
                    "encoded / raw (payloads, frame headers excluded). Reference: the same pages copied into one new buffer per checkpoint. Every decoded page is checked " +
                    "against the original afterwards. " + string.Join(" ", workloads.Select(w => $"{w.Name}: {w.Pattern}.")));
        return new JsonObject { ["rows"] = rows };
    }

    private sealed record Result(int Checkpoints, long Raw, long Encoded, TimeSpan Encode, TimeSpan Decode, TimeSpan Copy);

    private static double Gbps(long bytes, TimeSpan t) => bytes / t.TotalSeconds / 1e9;

    private static Result Measure(Workload w, bool lz4)
    {
        var encoder = new CheckpointEncoder(1, new ShippedPageCache(64L << 20), lz4);
        var receiver = new Dictionary<ulong, byte[]>();
        var expected = new Dictionary<ulong, ReadOnlyMemory<byte>>();
        long raw = 0, encoded = 0;
        TimeSpan encode = default, decode = default, copy = default;
        int timed = 0;
        ulong epoch = 0;
        foreach (var checkpoint in w.Checkpoints)
        {
            bool time = epoch > 0 || w.TimeFirst;
            epoch++;
            long start = Stopwatch.GetTimestamp();
            var frames = encoder.Encode(checkpoint, 1, epoch);
            var e = Stopwatch.GetElapsedTime(start);
            start = Stopwatch.GetTimestamp();
            Decode(frames.Frames, receiver);
            var d = Stopwatch.GetElapsedTime(start);
            start = Stopwatch.GetTimestamp();
            CopyPages(checkpoint);
            var c = Stopwatch.GetElapsedTime(start);
            foreach (var vpn in checkpoint.Unmapped) expected.Remove(vpn);
            foreach (var p in checkpoint.Pages) expected[p.Number] = p.Data;
            if (!time) continue;
            timed++;
            encode += e;
            decode += d;
            copy += c;
            raw += frames.RawBytes;
            encoded += frames.EncodedBytes;
        }
        foreach (var (vpn, data) in expected)
        {
            var want = data.IsEmpty ? new byte[PageCodec.PageSize] : data.Span;
            if (!receiver.TryGetValue(vpn, out var got) || !got.AsSpan().SequenceEqual(want)) throw new InvalidOperationException($"{w.Name}: page {vpn:x} decoded wrong");
        }
        return new Result(timed, raw, encoded, encode, decode, copy);
    }

    /// <summary>What a backup does to a checkpoint's pages: parse each Pages frame and decode every page against its copy.</summary>
    private static void Decode(IReadOnlyList<Frame> frames, Dictionary<ulong, byte[]> pages)
    {
        foreach (var frame in frames)
        {
            if (frame.Type != FrameType.Pages) continue;
            foreach (var page in PagesPayload.Decode(frame.Payload))
            {
                if (pages.TryGetValue(page.Number, out var copy))
                {
                    PageCodec.Decode(page.Encoding, page.Body.Span, copy, copy);
                }
                else
                {
                    copy = new byte[PageCodec.PageSize];
                    PageCodec.Decode(page.Encoding, page.Body.Span, [], copy);
                    pages[page.Number] = copy;
                }
            }
        }
    }

    private static void CopyPages(GuestCheckpoint checkpoint)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(Math.Max(1, checkpoint.Pages.Count) * PageCodec.PageSize);
        int at = 0;
        foreach (var p in checkpoint.Pages)
        {
            p.Data.Span.CopyTo(buffer.AsSpan(at, PageCodec.PageSize));
            at += PageCodec.PageSize;
        }
        GC.KeepAlive(buffer);
    }

    /// <summary>Runs a guest in epochs of <paramref name="epochInstructions"/>, capturing at each boundary, until <paramref name="epochs"/> or the byte cap.</summary>
    private static List<GuestCheckpoint> Epochs(IGuest guest, long epochInstructions, int epochs, Action? beforeEpoch = null)
    {
        var list = new List<GuestCheckpoint> { guest.Checkpoint(full: true) };
        long bytes = list[0].DataBytes;
        while (list.Count <= epochs && bytes < MaxBytesPerWorkload)
        {
            beforeEpoch?.Invoke();
            long target = guest.InstructionsRetired + epochInstructions;
            while (guest.InstructionsRetired < target)
            {
                var result = guest.Run(target - guest.InstructionsRetired);
                guest.TakeOutput();
                if (result is GuestRunResult.Blocked or GuestRunResult.Exited or GuestRunResult.Faulted) break;
            }
            var delta = guest.Checkpoint(full: false);
            bytes += delta.DataBytes;
            list.Add(delta);
        }
        return list;
    }

    private static Rv64Guest Load(BenchContext ctx, string program, params string[] args) =>
        Rv64Guest.Load(File.ReadAllBytes(ctx.GuestElf(program + ".elf")), [program + ".elf", .. args], options: new GuestOptions());

    private static Workload Memstress(BenchContext ctx, int pages, long epochInstructions, int epochs)
    {
        var guest = Load(ctx, "memstress", $"{pages}", "0");
        guest.Run(GuestHarness.Slice);
        var list = Epochs(guest, epochInstructions, epochs);
        return new Workload($"memstress {pages} deltas", $"memstress {pages} 0 in epochs of {epochInstructions:N0} instructions ({list.Count - 1} deltas, " +
            $"{list.Skip(1).Average(c => c.Pages.Count):F0} pages each on average): one 8-byte word rewritten per page", list, TimeFirst: false);
    }

    private static Workload MemstressImage(BenchContext ctx, int pages)
    {
        var guest = Load(ctx, "memstress", $"{pages}", "1000");
        var stdout = new StringBuilder();
        while (!stdout.ToString().Contains("round 1:", StringComparison.Ordinal))
        {
            guest.Run(GuestHarness.Slice);
            GuestHarness.Drain(guest, stdout);
        }
        return new Workload($"memstress {pages} full image", $"memstress {pages} after its first round, one full checkpoint: one nonzero word per page",
            [guest.Checkpoint(full: true)], TimeFirst: true);
    }

    private static Workload DenseImage(BenchContext ctx, int pages)
    {
        var guest = Load(ctx, "memstress", $"{pages}", "1000");
        var stdout = new StringBuilder();
        while (!stdout.ToString().Contains("round 1:", StringComparison.Ordinal))
        {
            guest.Run(GuestHarness.Slice);
            GuestHarness.Drain(guest, stdout);
        }
        var memory = GuestHarness.MemoryOf(guest);
        GuestPages.FillRandom(memory, GuestPages.FindWritableRun(memory, pages), pages, seed: 3);
        return new Workload($"random {pages}-page full image", $"memstress {pages}'s region filled with random bytes, one full checkpoint: incompressible",
            [guest.Checkpoint(full: true)], TimeFirst: true);
    }

    private static Workload Miniredis(BenchContext ctx, int epochs)
    {
        var guest = Load(ctx, "miniredis", "--port", "6379");
        guest.Run(GuestHarness.Slice); // up to its poll(): listening
        long conn = guest.Connect(6379);
        var random = new Random(11);
        var words = new[] { "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel" };
        var list = Epochs(guest, 5_000_000, epochs, () =>
        {
            var batch = new StringBuilder();
            for (int i = 0; i < 300; i++)
            {
                string key = $"user:{random.Next(20_000)}";
                string value = string.Join(' ', Enumerable.Range(0, 12).Select(_ => words[random.Next(words.Length)])) + $" #{random.Next()}";
                batch.Append($"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n${value.Length}\r\n{value}\r\n");
            }
            var bytes = Encoding.ASCII.GetBytes(batch.ToString());
            for (int at = 0; at < bytes.Length;)
            {
                int n = guest.Deliver(conn, bytes.AsSpan(at));
                at += n;
                if (n == 0)
                {
                    guest.Run(GuestHarness.Slice);
                    guest.TakeOutput();
                }
            }
        });
        return new Workload("miniredis under SETs", $"miniredis with 300 pipelined SETs of ~80-byte text values over 20,000 keys per epoch ({list.Count - 1} deltas, " +
            $"{list.Skip(1).Average(c => c.Pages.Count):F0} pages each on average)", list, TimeFirst: false);
    }

    private static Workload Compute(BenchContext ctx, int epochs)
    {
        var guest = Load(ctx, "compute");
        var list = Epochs(guest, 5_000_000, epochs);
        return new Workload("compute", $"compute.elf in epochs of 5,000,000 instructions ({list.Count - 1} deltas, {list.Skip(1).Average(c => c.Pages.Count):F0} pages each on average)",
            list, TimeFirst: false);
    }
}
