using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FaultTolerant.Check;

namespace FaultTolerant.Cluster.Chaos;

/// <summary>How an operation ended, as the history says it.</summary>
internal enum Outcome
{
    Ok,
    Fail,
    Info,
}

/// <summary>One operation as the campaign keeps it in memory (the history file has the same, for the checker).</summary>
/// <param name="Invoked">Stopwatch timestamp just before the request was sent.</param>
/// <param name="Completed">Stopwatch timestamp just after the answer (or the timeout).</param>
/// <param name="Node">The worker whose gateway the request went through.</param>
internal sealed record OpRecord(int Process, string F, string Key, Outcome Outcome, long Invoked, long Completed, string Node);

/// <summary>A gateway clients can go through: the worker's name and its address for the guest's cluster port.</summary>
internal sealed record GatewayEndpoint(string Node, IPEndPoint Endpoint);

/// <summary>
/// The register workload: concurrent clients, each on its own connection through a worker's gateway (spread over the
/// workers), doing SET with unique values and GET on a few register keys, INCR and GET on counter keys, and SETs of
/// write-once unique keys whose acknowledgement is checked at the end (lost acknowledged writes). Every call has a
/// timeout; an operation whose answer did not come is recorded as info (outcome unknown) and the client reconnects,
/// to the next worker's gateway. Every operation on register and counter keys goes to the history (docs/CHECKER.md).
/// </summary>
internal sealed class Workload(IReadOnlyList<GatewayEndpoint> gateways, int clients, int seed, TimeSpan timeout, HistoryRecorder recorder)
{
    public static readonly string[] RegisterKeys = ["r0", "r1", "r2", "r3", "r4"];

    public static readonly string[] CounterKeys = ["n0", "n1"];

    private readonly ConcurrentQueue<OpRecord> _ops = new();
    private readonly ConcurrentQueue<(string Key, string Value)> _acked = new();
    private long _uniqueAttempted;

    /// <summary>Every operation so far (unique-key writes included, tagged f = "write-once").</summary>
    public IReadOnlyCollection<OpRecord> Operations => _ops;

    /// <summary>Write-once keys whose SET was acknowledged, with the value written.</summary>
    public IReadOnlyCollection<(string Key, string Value)> AcknowledgedUnique => _acked;

    public long UniqueAttempted => Interlocked.Read(ref _uniqueAttempted);

    public int Clients => clients;

    /// <summary>Starts the clients; they stop (after the operation in flight) when <paramref name="stop"/> is cancelled.</summary>
    public Task Start(CancellationToken stop) => Task.WhenAll(Enumerable.Range(0, clients).Select(p => Task.Run(() => RunClient(p, stop), CancellationToken.None)));

    private async Task RunClient(int process, CancellationToken stop)
    {
        var random = new Random(HashCode.Combine(seed, process));
        int gateway = process % gateways.Count;
        RespConnection? connection = null;
        long sequence = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (connection is null)
                {
                    connection = await Connect(gateways[gateway], stop);
                    if (connection is null)
                    {
                        gateway = (gateway + 1) % gateways.Count;
                        await Pause(TimeSpan.FromMilliseconds(100), stop);
                        continue;
                    }
                }
                var op = Next(random, process, ++sequence);
                var node = gateways[gateway].Node;
                if (await Perform(connection, process, op, node) == Outcome.Info)
                {
                    connection.Dispose();
                    connection = null;
                    gateway = (gateway + 1) % gateways.Count;
                }
                await Pause(TimeSpan.FromMilliseconds(random.Next(5, 25)), stop);
            }
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private async Task<RespConnection?> Connect(GatewayEndpoint gateway, CancellationToken stop)
    {
        try
        {
            return await RespConnection.OpenAsync(gateway.Endpoint, timeout, stop);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return null;
        }
    }

    private static async Task Pause(TimeSpan span, CancellationToken stop)
    {
        try
        {
            await Task.Delay(span, stop);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>An operation: what the history calls it, and the command that does it.</summary>
    private sealed record Op(string F, string Key, string? Value, string[] Command, bool InHistory);

    private static Op Next(Random random, int process, long sequence)
    {
        double roll = random.NextDouble();
        string value = $"p{process}-{sequence}";
        if (roll < 0.25)
        {
            string key = $"u:{process}:{sequence}";
            return new Op("write-once", key, value, ["SET", key, value], false);
        }
        if (roll < 0.50)
        {
            string key = RegisterKeys[random.Next(RegisterKeys.Length)];
            return new Op("write", key, value, ["SET", key, value], true);
        }
        if (roll < 0.78)
        {
            string key = RegisterKeys[random.Next(RegisterKeys.Length)];
            return new Op("read", key, null, ["GET", key], true);
        }
        string counter = CounterKeys[random.Next(CounterKeys.Length)];
        return roll < 0.92 ? new Op("incr", counter, null, ["INCR", counter], true) : new Op("read", counter, null, ["GET", counter], true);
    }

    /// <summary>Does one operation and records it. After an info the connection must be given up (no answer, or it broke).</summary>
    private async Task<Outcome> Perform(RespConnection connection, int process, Op op, string node)
    {
        if (op.F == "write-once") Interlocked.Increment(ref _uniqueAttempted);
        else recorder.Invoke(process, op.F, op.Key, op.Value, node: node);
        long invoked = Stopwatch.GetTimestamp();
        RespReply reply;
        try
        {
            // Not the campaign's stop token: an operation under way is finished (or timed out), never abandoned unrecorded.
            reply = await connection.CallAsync(op.Command, timeout, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Record(process, op, Outcome.Info, null, null, invoked, node);
            return Outcome.Info;
        }
        var (outcome, result, error) = Interpret(op, reply);
        Record(process, op, outcome, result, error, invoked, node);
        if (op.F == "write-once" && outcome == Outcome.Ok) _acked.Enqueue((op.Key, op.Value!));
        return outcome;
    }

    /// <summary>
    /// What a reply means for the history. An error reply means the request was refused without changing anything,
    /// except INCR's "not an integer", which is a result the model checks (docs/CHECKER.md: fail only with
    /// mismatch/not-integer; anything unknown is info).
    /// </summary>
    private static (Outcome Outcome, string? Result, string? Error) Interpret(Op op, RespReply reply)
    {
        if (reply.IsError)
        {
            bool notInteger = op.F == "incr" && reply.Text!.Contains("not an integer", StringComparison.OrdinalIgnoreCase);
            return (Outcome.Fail, null, notInteger ? "not-integer" : reply.Text);
        }
        return op.F switch
        {
            "write" or "write-once" when reply is { Kind: '+', Text: "OK" } => (Outcome.Ok, null, null),
            "read" when reply.Kind == '$' => (Outcome.Ok, reply.Text, null),
            "incr" when reply.Kind == ':' => (Outcome.Ok, reply.Text, null),
            // A reply of the wrong shape: the request reached the server, but what it did is not known.
            _ => (Outcome.Info, null, null),
        };
    }

    private void Record(int process, Op op, Outcome outcome, string? result, string? error, long invoked, string node)
    {
        if (op.InHistory)
        {
            switch (outcome)
            {
                case Outcome.Ok:
                    recorder.Ok(process, op.F, op.Key, result, node: node);
                    break;
                case Outcome.Fail:
                    recorder.Fail(process, op.F, op.Key, error, node: node);
                    break;
                default:
                    recorder.Info(process, op.F, op.Key, node: node);
                    break;
            }
        }
        _ops.Enqueue(new OpRecord(process, op.F, op.Key, outcome, invoked, Stopwatch.GetTimestamp(), node));
    }

    /// <summary>
    /// After the faults are healed and the guest is protected again: reads every register and counter key (into the
    /// history, as processes after the clients'), then every acknowledged write-once key; returns how many of those
    /// are missing or different. Reads are retried on another gateway until they succeed or <paramref name="cancellation"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException">The reads could not be finished in time.</exception>
    public async Task<long> FinalReadsAsync(CancellationToken cancellation)
    {
        int process = clients;
        foreach (var key in RegisterKeys.Concat(CounterKeys))
        {
            await ReadUntilAnswered(process++, key, cancellation);
        }
        long lost = 0;
        foreach (var batch in _acked.ToArray().Chunk(200))
        {
            var replies = await WithRetries(c => c.PipelineAsync([.. batch.Select(b => (IReadOnlyList<string>)["GET", b.Key])], timeout * 5, cancellation), cancellation);
            lost += batch.Where((b, i) => replies[i].Kind != '$' || replies[i].Text != b.Value).Count();
        }
        return lost;
    }

    private async Task ReadUntilAnswered(int process, string key, CancellationToken cancellation)
    {
        for (int attempt = 0; ; attempt++)
        {
            var gateway = gateways[attempt % gateways.Count];
            var op = new Op("read", key, null, ["GET", key], true);
            using var connection = await Connect(gateway, cancellation);
            if (connection is not null && await Perform(connection, process, op, gateway.Node) == Outcome.Ok) return;
            await Task.Delay(200, cancellation);
        }
    }

    private async Task<T> WithRetries<T>(Func<RespConnection, Task<T>> call, CancellationToken cancellation)
    {
        for (int attempt = 0; ; attempt++)
        {
            cancellation.ThrowIfCancellationRequested();
            var gateway = gateways[attempt % gateways.Count];
            using var connection = await Connect(gateway, cancellation);
            if (connection is not null)
            {
                try
                {
                    return await call(connection);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException && !cancellation.IsCancellationRequested)
                {
                    // Another gateway, after a moment.
                }
            }
            await Task.Delay(200, cancellation);
        }
    }
}
