using System.CommandLine;
using System.Diagnostics;
using System.Text;
using FaultTolerant.Guest;
using FaultTolerant.Guest.Hosting;

namespace FaultTolerant.Cluster.Cli;

/// <summary>
/// <c>ft demo</c>: a running miniredis is checkpointed while it serves a client, its host is "lost", and
/// a fresh guest rebuilt from the checkpoint images alone carries on with the same client connection.
/// </summary>
internal static class DemoCommand
{
    private const int Keys = 2000;

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the figures as one JSON object." };
        var clients = new Option<int>("--clients") { Description = "Concurrent RESP clients.", DefaultValueFactory = _ => 8, HelpName = "N" };
        var logs = new Option<string?>("--logs") { Description = "Keep each node's time-stamped log in this directory (NAME.log).", HelpName = "DIR" };
        var local = new Option<bool>("--local") { Description = "The one-process demo instead: checkpoint and restore, then an in-process failover." };
        var command = new Command("demo", "Three node processes, miniredis with a backup, clients through a gateway; SIGKILL the primary midway; count what was lost.")
        {
            json, clients, logs, local,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            if (parse.GetValue(local)) return await RunAsync(Console.Out);
            var path = GuestLocator.Find("miniredis");
            if (path is null)
            {
                await Console.Error.WriteLineAsync("ft demo: guests/bin/miniredis.elf not found (run from the repository, or set FT_GUESTS to its guests/bin)");
                return 1;
            }
            var demo = new ClusterDemo(Console.Out, parse.GetValue(json), Math.Clamp(parse.GetValue(clients), 1, 64), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(3), path, parse.GetValue(logs));
            return await demo.RunAsync(cancellation);
        });
        return command;
    }

    internal static async Task<int> RunAsync(TextWriter output)
    {
        var elfPath = GuestLocator.Find("miniredis");
        if (elfPath is null)
        {
            output.WriteLine("ft demo: guests/bin/miniredis.elf not found (run from the repository, or set FT_GUESTS to its guests/bin)");
            return 1;
        }
        var clock = Stopwatch.StartNew();
        void Say(string text) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,6:0.000}s] {text}");

        output.WriteLine("Act 1: a running guest's whole state, captured and restored");
        Say($"starting miniredis ({elfPath}) in the RV64 emulator");
        var guest = Rv64Guest.Load(File.ReadAllBytes(elfPath), ["miniredis.elf", "--port", "6379"]);
        var session = new Session(guest);
        session.Driver.RunUntilIdle();
        Say($"guest says: {session.Driver.StdoutText.Trim()}");

        long client = guest.Connect(6379);
        Say($"a client connects (connection {client}) and writes {Keys} keys");
        for (int i = 0; i < Keys; i += 100)
        {
            var batch = Enumerable.Range(i, 100).SelectMany(k => Command("SET", $"user:{k}", $"profile-{k}")).ToArray();
            session.Call(client, batch, 100);
        }
        session.Call(client, Command("SET", "visits", "0"), 1);

        var full = Timed(guest.CaptureFull, out var fullTime);
        Say($"full checkpoint: {full.Length / 1024} KiB ({guest.MemoryStatistics.MappedPages} pages mapped) in {fullTime.TotalMilliseconds:0.0} ms");

        var deltas = new List<byte[]>();
        for (int epoch = 1; epoch <= 5; epoch++)
        {
            var reply = session.Call(client, Command("INCR", "visits"), 1)[0];
            var delta = Timed(guest.CaptureDelta, out var deltaTime);
            deltas.Add(delta);
            Say($"epoch {epoch}: INCR visits -> {reply}; delta checkpoint {delta.Length / 1024.0:0.0} KiB in {deltaTime.TotalMilliseconds:0.00} ms");
        }
        var hashBefore = guest.StateHash();

        Say("the host running the guest is lost: nothing survives but the checkpoint images");
        guest = null!;
        session = null!;

        var restored = Timed(() => Rv64Guest.Restore(full, deltas), out var restoreTime);
        var hashAfter = restored.StateHash();
        Say($"restored on a new host from 1 full image + {deltas.Count} deltas in {restoreTime.TotalMilliseconds:0.0} ms");
        Say($"state hash {hashBefore:x32} before, {hashAfter:x32} after: {(hashBefore == hashAfter ? "identical" : "DIFFERENT")}");

        var resumed = new Session(restored);
        var visits = resumed.Call(client, Command("INCR", "visits"), 1)[0];
        var sample = resumed.Call(client, Command("GET", "user:1234"), 1)[0];
        var size = resumed.Call(client, Command("DBSIZE"), 1)[0];
        Say($"the same client connection continues: INCR visits -> {visits}, GET user:1234 -> {sample}, DBSIZE -> {size}");

        bool restoredOk = hashBefore == hashAfter && visits == ":6" && sample == "profile-1234" && size == $":{Keys + 1}";
        Say(restoredOk ? "act 1 passed: the restored guest is the same guest" : "act 1 FAILED: the restored guest differs");

        output.WriteLine();
        output.WriteLine("Act 2: replicated to a backup, the primary killed under load, the backup takes over");
        bool failoverOk = await FailoverDemo.RunAsync(elfPath, Say);
        Say(failoverOk ? "act 2 passed: the clients saw a pause, not an error, and no acknowledged write was lost"
                       : "act 2 FAILED: see above");
        return restoredOk && failoverOk ? 0 : 1;
    }

    private static T Timed<T>(Func<T> f, out TimeSpan elapsed)
    {
        var sw = Stopwatch.StartNew();
        var r = f();
        elapsed = sw.Elapsed;
        return r;
    }

    private static byte[] Command(params string[] args)
    {
        var sb = new StringBuilder($"*{args.Length}\r\n");
        foreach (var a in args) sb.Append($"${Encoding.UTF8.GetByteCount(a)}\r\n{a}\r\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>A client session over the host API: send, run the guest, read whole RESP replies.</summary>
    private sealed class Session(IGuest guest)
    {
        private readonly List<byte> _buffer = [];

        public GuestDriver Driver { get; } = new(guest);

        public List<string> Call(long connection, byte[] request, int replies)
        {
            Driver.Send(connection, request);
            var parsed = new List<string>();
            Driver.RunUntil(() =>
            {
                _buffer.AddRange(Driver.TakeReceived(connection));
                parsed = ParseReplies();
                return parsed.Count >= replies;
            });
            if (parsed.Count < replies) throw new InvalidOperationException($"miniredis answered {parsed.Count} of {replies} commands");
            _buffer.Clear();
            return parsed;
        }

        /// <summary>Simple replies only (+, -, :, and bulk strings), which is all the demo sends for.</summary>
        private List<string> ParseReplies()
        {
            var text = Encoding.UTF8.GetString([.. _buffer]);
            var replies = new List<string>();
            int at = 0;
            while (true)
            {
                int end = text.IndexOf("\r\n", at, StringComparison.Ordinal);
                if (end < 0) return replies;
                string line = text[at..end];
                if (line.StartsWith('$') && int.TryParse(line[1..], out var len) && len >= 0)
                {
                    if (text.Length < end + 2 + len + 2) return replies;
                    replies.Add(text.Substring(end + 2, len));
                    at = end + 2 + len + 2;
                    continue;
                }
                replies.Add(line.StartsWith('+') ? line[1..] : line);
                at = end + 2;
            }
        }
    }
}

/// <summary>Finds the committed guest programs: $FT_GUESTS, ./guests/bin, or above the ft binary.</summary>
internal static class GuestLocator
{
    public static string? Find(string name)
    {
        var file = name + ".elf";
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("FT_GUESTS") is { Length: > 0 } env) candidates.Add(Path.Combine(env, file));
        candidates.Add(Path.Combine(Environment.CurrentDirectory, "guests", "bin", file));
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, "guests", "bin", file));
        }
        return candidates.FirstOrDefault(File.Exists);
    }
}
