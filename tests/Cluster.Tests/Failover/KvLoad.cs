using System.Net;
using FaultTolerant.Cluster.Harness;

namespace FaultTolerant.Cluster.Tests.Failover;

/// <summary>
/// <see cref="RespLoad"/> running through one worker's gateway for the length of a test: each client on one TCP
/// connection, writing unique keys, stopping at its first error (an error reply, a dropped connection, or no reply for
/// 30 s). Progress checks fail at once, with the node logs, when a client has failed.
/// </summary>
internal sealed class KvLoad : IAsyncDisposable
{
    private readonly KvCluster _kv;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _runners;

    public KvLoad(KvCluster kv, NodeProcess via, IPEndPoint gateway, int clients)
    {
        _kv = kv;
        Via = via;
        Gateway = gateway;
        Clients = new RespLoad(gateway, clients);
        _runners = Clients.Start(_stop.Token);
    }

    public NodeProcess Via { get; }

    public IPEndPoint Gateway { get; }

    public RespLoad Clients { get; }

    public long Acknowledged => Clients.Acknowledged;

    public long Errors => Clients.Errors;

    /// <summary>Until <paramref name="writes"/> more writes are acknowledged (the clients make progress on their connections).</summary>
    public async Task Progress(long writes, string when, TimeSpan? patience = null)
    {
        long from = Clients.Acknowledged;
        var limit = patience ?? TimeSpan.FromSeconds(30);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Clients.Acknowledged < from + writes)
        {
            _kv.Expect(Clients.Errors == 0, $"{Clients.Errors} client(s) through {Via.Name}'s gateway got an error or lost their connection {when}");
            _kv.Expect(clock.Elapsed < limit, $"the clients through {Via.Name}'s gateway got {Clients.Acknowledged - from} of {writes} writes acknowledged within {limit.TotalSeconds:0} s {when}");
            await _kv.Within(Task.Delay(100, _kv.Cancellation), $"writes acknowledged {when}");
        }
        _kv.Say($"{Clients.Acknowledged} writes acknowledged {when}; {Clients.Errors} client errors");
    }

    /// <summary>Stops the clients after their current request (each waits at most 30 s for its reply).</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _kv.Within(Task.WhenAll(_runners), "the clients to stop");
    }

    /// <summary>Reads every acknowledged key back through the same gateway: how many are missing or different.</summary>
    public async Task<long> CountLostAsync()
    {
        long lost = await _kv.Within(Clients.CountLost(Gateway), $"reading {Clients.Acknowledged} acknowledged writes back");
        _kv.Say($"read back {Clients.Acknowledged} acknowledged writes through {Via.Name}'s gateway: {lost} lost");
        return lost;
    }

    /// <summary>
    /// The end of every test: the clients stop, none of them saw an error (so each kept its connection), and every
    /// acknowledged write reads back.
    /// </summary>
    public async Task StopAndVerifyAsync()
    {
        await StopAsync();
        _kv.Expect(Clients.Errors == 0, $"{Clients.Errors} client(s) through {Via.Name}'s gateway got an error or lost their connection");
        _kv.Expect(Clients.Acknowledged > 0, "no write was acknowledged");
        long lost = await CountLostAsync();
        _kv.Expect(lost == 0, $"{lost} of {Clients.Acknowledged} acknowledged writes are missing or different when read back through {Via.Name}'s gateway");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        // The nodes are killed right after: a client blocked on a reply is freed by its connection closing.
        await Task.WhenAny(Task.WhenAll(_runners), Task.Delay(TimeSpan.FromSeconds(1)));
        _stop.Dispose();
    }
}
