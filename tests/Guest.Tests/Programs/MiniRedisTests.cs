using System.Text;
using FaultTolerant.Guest.Hosting;
using FaultTolerant.Guest.Tests.Support;

namespace FaultTolerant.Guest.Tests.Programs;

/// <summary>miniredis driven through the host side of the guest API: connections, bytes in, bytes out.</summary>
public sealed class MiniRedisTests
{
    /// <summary>A miniredis guest and its clients, all on the calling thread.</summary>
    internal sealed class Session
    {
        private readonly Dictionary<long, List<byte>> _buffers = [];

        public Session(GuestOptions? options = null, Rv64Guest? restored = null)
        {
            Guest = restored ?? Guests.Load("miniredis", ["--port", "6379"], options: options ?? Guests.Deterministic());
            Driver = new GuestDriver(Guest);
            if (restored is null)
            {
                Assert.IsType<GuestRunResult.Blocked>(Driver.RunUntilIdle());
                Assert.Equal("miniredis listening on port 6379\n", Driver.StdoutText);
            }
        }

        public Rv64Guest Guest { get; }

        public GuestDriver Driver { get; }

        public long Connect() => Guest.Connect(6379);

        /// <summary>Sends raw bytes and runs until <paramref name="replies"/> complete replies came back.</summary>
        public List<string> Exchange(long connection, byte[] request, int replies)
        {
            Driver.Send(connection, request);
            var buffer = _buffers.TryGetValue(connection, out var b) ? b : _buffers[connection] = [];
            List<string> parsed = [];
            Driver.RunUntil(() =>
            {
                buffer.AddRange(Driver.TakeReceived(connection));
                parsed = Resp.ParseAll([.. buffer]);
                return parsed.Count >= replies;
            });
            Assert.True(parsed.Count >= replies, $"expected {replies} replies, got {parsed.Count}: {string.Join(" | ", parsed)}");
            buffer.Clear();
            return parsed;
        }

        public string Call(long connection, params string[] args) => Exchange(connection, Resp.Command(args), 1)[0];
    }

    [Fact]
    public void Answers_ping_echo_and_round_trips_set_and_get()
    {
        var s = new Session();
        var c = s.Connect();
        Assert.Equal("PONG", s.Call(c, "PING"));
        Assert.Equal("hi there", s.Call(c, "PING", "hi there"));
        Assert.Equal("echo me", s.Call(c, "ECHO", "echo me"));
        Assert.Equal("OK", s.Call(c, "SET", "greeting", "hello"));
        Assert.Equal("hello", s.Call(c, "GET", "greeting"));
        Assert.Equal("(nil)", s.Call(c, "GET", "missing"));
    }

    [Fact]
    public void Supports_the_string_commands_with_their_options()
    {
        var s = new Session();
        var c = s.Connect();
        Assert.Equal("OK", s.Call(c, "SET", "k", "v1", "NX"));
        Assert.Equal("(nil)", s.Call(c, "SET", "k", "v2", "NX"));
        Assert.Equal("OK", s.Call(c, "SET", "k", "v3", "XX"));
        Assert.Equal("(nil)", s.Call(c, "SET", "absent", "v", "XX"));
        Assert.Equal(":1", s.Call(c, "INCR", "n"));
        Assert.Equal(":11", s.Call(c, "INCRBY", "n", "10"));
        Assert.Equal(":10", s.Call(c, "DECR", "n"));
        Assert.Equal(":5", s.Call(c, "APPEND", "s", "hello"));
        Assert.Equal(":11", s.Call(c, "APPEND", "s", " world"));
        Assert.Equal(":11", s.Call(c, "STRLEN", "s"));
        Assert.Equal("OK", s.Call(c, "MSET", "a", "1", "b", "2"));
        Assert.Equal("[1, 2, (nil)]", s.Call(c, "MGET", "a", "b", "zz"));
        Assert.Equal(":2", s.Call(c, "EXISTS", "a", "b", "zz"));
        Assert.Equal(":5", s.Call(c, "DBSIZE"));
        Assert.Contains(s.Call(c, "KEYS", "[ab]"), new[] { "[a, b]", "[b, a]" });
        Assert.Equal(":2", s.Call(c, "DEL", "a", "b", "zz"));
        Assert.Equal("OK", s.Call(c, "FLUSHALL"));
        Assert.Equal(":0", s.Call(c, "DBSIZE"));
    }

    [Fact]
    public void Reports_errors_as_redis_does()
    {
        var s = new Session();
        var c = s.Connect();
        Assert.StartsWith("-ERR unknown command 'NOPE'", s.Call(c, "NOPE", "x"));
        Assert.Equal("-ERR wrong number of arguments for 'get' command", s.Call(c, "GET"));
        s.Call(c, "SET", "t", "text");
        Assert.Equal("-ERR value is not an integer or out of range", s.Call(c, "INCR", "t"));
        s.Call(c, "SET", "big", long.MaxValue.ToString());
        Assert.Equal("-ERR increment or decrement would overflow", s.Call(c, "INCR", "big"));
        Assert.Equal("-ERR syntax error", s.Call(c, "SET", "k", "v", "BOGUS"));
    }

    [Fact]
    public void Expires_keys_set_with_px_on_the_guest_clock()
    {
        // The host clock: under virtual time a timed ppoll completes at once, so any TTL would pass instantly.
        var s = new Session(new GuestOptions());
        var c = s.Connect();
        Assert.Equal("OK", s.Call(c, "SET", "short", "lived", "PX", "300"));
        Assert.Equal("OK", s.Call(c, "SET", "long", "lived"));
        Assert.Equal("lived", s.Call(c, "GET", "short"));
        Thread.Sleep(400);
        Assert.Equal("(nil)", s.Call(c, "GET", "short"));
        Assert.Equal("lived", s.Call(c, "GET", "long"));
    }

    [Fact]
    public void Keys_and_values_are_binary_safe()
    {
        var s = new Session();
        var c = s.Connect();
        byte[] key = [0, 1, (byte)'\r', (byte)'\n', 255];
        var value = new byte[100_000];
        new Random(3).NextBytes(value);
        Assert.Equal("OK", s.Exchange(c, Resp.Command(Encoding.ASCII.GetBytes("SET"), key, value), 1)[0]);
        s.Driver.Send(c, Resp.Command(Encoding.ASCII.GetBytes("GET"), key));
        var expected = Encoding.ASCII.GetBytes($"${value.Length}\r\n").Concat(value).Concat("\r\n"u8.ToArray()).ToArray();
        var got = new List<byte>();
        s.Driver.RunUntil(() =>
        {
            got.AddRange(s.Driver.TakeReceived(c));
            return got.Count >= expected.Length;
        });
        Assert.Equal(expected, got.ToArray());
    }

    [Fact]
    public void Answers_a_pipeline_in_order()
    {
        var s = new Session();
        var c = s.Connect();
        var pipeline = Enumerable.Range(0, 500).SelectMany(i => Resp.Command("INCR", "counter")).ToArray();
        var replies = s.Exchange(c, pipeline, 500);
        Assert.Equal(Enumerable.Range(1, 500).Select(i => $":{i}"), replies);
    }

    [Fact]
    public void Accepts_inline_commands_as_redis_benchmark_sends_them()
    {
        var s = new Session();
        var c = s.Connect();
        var replies = s.Exchange(c, "PING\r\nSET inline value\r\nGET inline\r\n"u8.ToArray(), 3);
        Assert.Equal(["PONG", "OK", "value"], replies);
    }

    [Fact]
    public void Serves_many_interleaved_clients()
    {
        var s = new Session();
        var clients = Enumerable.Range(0, 60).Select(_ => s.Connect()).ToList();
        foreach (var (c, i) in clients.Select((c, i) => (c, i))) Assert.Equal("OK", s.Call(c, "SET", $"key{i}", $"value{i}"));
        foreach (var (c, i) in clients.Select((c, i) => (c, i)).Reverse()) Assert.Equal($"value{i}", s.Call(c, "GET", $"key{i}"));
        Assert.Equal(":60", s.Call(clients[0], "DBSIZE"));
    }

    [Fact]
    public void A_client_that_hangs_up_is_closed_and_forgotten_by_the_guest()
    {
        var s = new Session();
        var c = s.Connect();
        Assert.Equal("PONG", s.Call(c, "PING"));
        s.Guest.EndInput(c);
        s.Driver.RunUntilIdle();
        Assert.True(s.Driver.IsClosedByGuest(c));
        Assert.DoesNotContain(s.Guest.Connections, i => i.Id == c);
        Assert.Equal("PONG", s.Call(s.Connect(), "PING"));
    }

    [Fact]
    public void A_connection_to_a_port_nobody_listens_on_is_refused()
    {
        var s = new Session();
        var e = Assert.Throws<GuestConnectionRefusedException>(() => s.Guest.Connect(6380));
        Assert.Equal(6380, e.Port);
    }

    [Fact]
    public void Data_and_open_connections_survive_capture_and_restore()
    {
        var s = new Session();
        var c = s.Connect();
        for (int i = 0; i < 200; i++) s.Call(c, "SET", $"k{i}", $"v{i}");
        var full = s.Guest.CaptureFull();
        s.Call(c, "SET", "after", "full");
        var delta = s.Guest.CaptureDelta();

        var restored = new Session(restored: Rv64Guest.Restore(full, [delta], Guests.Deterministic()));
        Assert.Equal("v123", restored.Call(c, "GET", "k123"));
        Assert.Equal("full", restored.Call(c, "GET", "after"));
        Assert.Equal(":201", restored.Call(restored.Connect(), "DBSIZE"));
        var info = Assert.Single(restored.Guest.Connections, i => i.Id == c);
        Assert.True(info.Received > 0 && info.Sent > 0);
    }
}
