using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Channel;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Bench.Replication;

/// <summary>
/// <c>bench replication-node primary|backup …</c> (hidden): one node of the memory figure, in its own process so its
/// peak resident set is its own. Data goes over the real TCP data channel; the backup's answers (ack, resync, fenced)
/// come back over a small control socket of this benchmark's own, standing in for the Akka messages.
/// </summary>
/// <remarks>
/// backup: prints <c>ports DATA CONTROL</c>, serves one primary, and when the primary closes the control socket prints
/// <c>done PEAK BASELINE COMMITTED_EPOCH</c> and exits. primary <c>DATA CONTROL PAGES ROUNDS [lz4] [rate=N]</c>: runs memstress (paced at N pages/s if given) under
/// a PrimaryReplica until its last epoch is committed and released, prints <c>done PEAK BASELINE EPOCH BYTES_SENT</c> and
/// exits; if that does not happen within 40 s it prints the same followed by <c>stalled RELEASED_EPOCH</c>. PEAK is VmHWM, BASELINE the VmRSS before any guest was loaded, both in bytes. With FT_BENCH_TRACE set, the
/// primary prints its epochs, memory and link counters to stderr twice a second.
/// </remarks>
internal static class ReplicationNode
{
    public const string Command = "replication-node";

    /// <summary>memstress 65536 4 completes in about 10 s here; past this the primary is taken to be stuck.</summary>
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(40);

    private const int RecordSize = 17;
    private const byte Ack = 1, Resync = 2, Fenced = 3;

    public static async Task<int> MainAsync(string[] args)
    {
        long baseline = Status("VmRSS");
        try
        {
            return args switch
            {
                ["backup"] => await BackupAsync(baseline),
                ["primary", var data, var control, var pages, var rounds, .. var rest] when rest.All(r => r == "lz4" || r.StartsWith("rate=", StringComparison.Ordinal)) =>
                    await PrimaryAsync(int.Parse(data, CultureInfo.InvariantCulture), int.Parse(control, CultureInfo.InvariantCulture),
                        [pages, rounds, .. rest.Where(r => r.StartsWith("rate=", StringComparison.Ordinal)).Select(r => r["rate=".Length..])], lz4: rest.Contains("lz4"), baseline),
                _ => Usage(),
            };
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"{Command}: {e}");
            return 1;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine($"usage: {Command} backup | {Command} primary DATAPORT CONTROLPORT PAGES ROUNDS [lz4] [rate=PAGES_PER_SECOND]");
        return 2;
    }

    private static async Task<int> BackupAsync(long baseline)
    {
        var backup = new BackupReplica("b1", InProcessReplica.Restore);
        using var controlListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        controlListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        controlListener.Listen(1);
        Socket? control = null;
        var sendLock = new Lock();
        void Answer(byte kind, ulong a, ulong b)
        {
            var record = new byte[RecordSize];
            record[0] = kind;
            BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(1), a);
            BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(9), b);
            lock (sendLock)
            {
                try
                {
                    control?.Send(record);
                }
                catch (SocketException)
                {
                    // The primary is gone; nothing to answer.
                }
            }
        }
        await using var listener = new DataChannelListener(new IPEndPoint(IPAddress.Loopback, 0), (_, _) => backup, o =>
        {
            switch (o.Outcome)
            {
                case AssemblyOutcome.Committed c:
                    Answer(Ack, c.Generation, c.Epoch);
                    break;
                case AssemblyOutcome.ResyncNeeded:
                    Answer(Resync, o.Generation, 0);
                    break;
                case AssemblyOutcome.Fenced f:
                    Answer(Fenced, f.FrameGeneration, f.HighestGeneration);
                    break;
            }
        });
        listener.Start();
        Console.WriteLine($"ports {listener.LocalEndpoint.Port} {((IPEndPoint)controlListener.LocalEndPoint!).Port}");
        Console.Out.Flush();
        var accepted = await controlListener.AcceptAsync();
        lock (sendLock) control = accepted;
        // The primary closes the control socket when it is done; until then this only waits.
        var buffer = new byte[16];
        while (await accepted.ReceiveAsync(buffer, SocketFlags.None) > 0)
        {
        }
        Console.WriteLine($"done {Status("VmHWM")} {baseline} {backup.CommittedEpoch}");
        lock (sendLock) accepted.Dispose();
        return 0;
    }

    private static async Task<int> PrimaryAsync(int dataPort, int controlPort, string[] memstressArgs, bool lz4, long baseline)
    {
        using var control = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await control.ConnectAsync(new IPEndPoint(IPAddress.Loopback, controlPort));
        PrimaryReplica? primary = null;
        await using var link = new TcpBackupLink("b1", new IPEndPoint(IPAddress.Loopback, dataPort), 31, "memstress", 1, "bench-primary",
            (id, _) => primary?.ResyncRequested(id, 1));
        var elf = await File.ReadAllBytesAsync(Path.Combine(Repo(), "guests", "bin", "memstress.elf"));
        var guest = Rv64Guest.Load(elf, ["memstress.elf", .. memstressArgs], options: new GuestOptions());
        var source = new StdoutSource();
        primary = new PrimaryReplica(guest, new PrimaryOptions("memstress", 31, 1) { Lz4 = lz4 }, [link], source);
        var answers = Task.Run(async () =>
        {
            var record = new byte[RecordSize];
            while (true)
            {
                for (int at = 0; at < RecordSize;)
                {
                    int n = await control.ReceiveAsync(record.AsMemory(at), SocketFlags.None);
                    if (n == 0) return;
                    at += n;
                }
                ulong a = BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(1)), b = BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(9));
                switch (record[0])
                {
                    case Ack:
                        primary.Acked("b1", a, b);
                        break;
                    case Resync:
                        primary.ResyncRequested("b1", a);
                        break;
                    case Fenced:
                        primary.Fence(b);
                        break;
                }
            }
        });
        primary.Start();
        if (Environment.GetEnvironmentVariable("FT_BENCH_TRACE") is not null)
        {
            _ = Task.Run(async () =>
            {
                while (!primary.Completion.IsCompleted)
                {
                    await Task.Delay(500);
                    var gc = GC.GetGCMemoryInfo();
                    await Console.Error.WriteLineAsync($"trace: epoch {primary.Epoch} released {primary.ReleasedEpoch} rss {Status("VmRSS") >> 20} MiB heap {gc.HeapSizeBytes >> 20} MiB " +
                        $"committed {gc.TotalCommittedBytes >> 20} MiB gen2 {GC.CollectionCount(2)} link {link.Statistics}");
                }
            });
        }
        if (await Task.WhenAny(primary.Completion, Task.Delay(StallTimeout)) != primary.Completion)
        {
            // The primary waits for an ack that does not come (see docs/BENCHMARKS.md, Replication): report the peak all the same.
            Console.WriteLine($"done {Status("VmHWM")} {baseline} {primary.Epoch} {link.Statistics.BytesSent} stalled {primary.ReleasedEpoch}");
            primary.Stop();
            control.Shutdown(SocketShutdown.Both);
            return 0;
        }
        var end = await primary.Completion;
        if (end.Reason != PrimaryEndReason.GuestEnded || end.GuestResult is not GuestRunResult.Exited { Code: 0 })
        {
            throw new InvalidOperationException($"memstress under replication ended with {end}; stdout: {source.Stdout}");
        }
        if (!source.Stdout.Contains("checksum:", StringComparison.Ordinal)) throw new InvalidOperationException($"memstress's output is incomplete: {source.Stdout}");
        Console.WriteLine($"done {Status("VmHWM")} {baseline} {end.Epoch} {link.Statistics.BytesSent}");
        control.Shutdown(SocketShutdown.Both);
        await answers.WaitAsync(TimeSpan.FromSeconds(5));
        return 0;
    }

    /// <summary>A /proc/self/status figure in bytes (VmHWM: peak resident set; VmRSS: resident now).</summary>
    public static long Status(string field)
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"no {field} in /proc/self/status");
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    private static string Repo()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FaultTolerant.sln"))) return dir.FullName;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FaultTolerant.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("cannot find the repository root (FaultTolerant.sln)");
    }
}
