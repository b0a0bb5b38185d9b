using EmbeddedService;
using FaultTolerant.Cluster.Hosting;
using FaultTolerant.Cluster.Placement;
using FaultTolerant.Cluster.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FaultTolerant.Cluster.Tests.Hosting;

/// <summary>
/// Three instances of samples/EmbeddedService in this process, each built by the sample's own
/// <see cref="ServiceHost.Build"/> from command-line arguments, on free loopback ports: a witness and two workers (gateways
/// on 127.0.0.2 and 127.0.0.3). Every instance declares the sample's guest, miniredis with one backup. Started once for
/// the tests of a class; ready when the guest runs with its backup and every declaration has settled.
/// </summary>
public sealed class EmbeddedServiceCluster : IAsyncLifetime
{
    public const string Guest = "kv";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(45);
    private readonly string _data = Directory.CreateTempSubdirectory("ft-embedded-").FullName;
    private readonly List<IHost> _hosts = [];

    public int ClusterPort { get; } = FreePort.Next();

    public IHost Witness => _hosts[0];

    public IReadOnlyList<IHost> Workers => [_hosts[1], _hosts[2]];

    public IReadOnlyList<IHost> Hosts => _hosts;

    /// <summary>The guest as it was when the cluster became ready.</summary>
    public GuestStatus Ready { get; private set; } = null!;

    public static IProtectedGuests Guests(IHost host) => host.Services.GetRequiredService<IProtectedGuests>();

    /// <summary>The sample's declaration, as a test would make it again.</summary>
    public ProtectedGuest Declaration() =>
        ProtectedGuest.FromFile(Guest, FtProcess.Guest("miniredis"), replicas: 1, exposes: [$"6379:{ClusterPort}"], args: ["--port", "6379"]);

    /// <summary>The sample's declaration on <paramref name="host"/>, where it stands now.</summary>
    public async Task<GuestDeclaration> DeclarationOn(IHost host) =>
        (await Guests(host).GetDeclarationsAsync()).Single(d => d.Name == Guest);

    public RespClient Client(string gateway) => new(gateway, ClusterPort, TimeSpan.FromSeconds(10));

    public async Task InitializeAsync()
    {
        using var patience = new CancellationTokenSource(ReadyTimeout);
        int seed = FreePort.Next();
        try
        {
            _hosts.Add(ServiceHost.Build(Args("witness", seed, seed, "127.0.0.1")));
            _hosts.Add(ServiceHost.Build(Args("worker", FreePort.Next(), seed, "127.0.0.2")));
            _hosts.Add(ServiceHost.Build(Args("worker", FreePort.Next(), seed, "127.0.0.3")));
            await Task.WhenAll(_hosts.Select(h => h.StartAsync(patience.Token)));
            Ready = await WaitForGuest(g => g is { Entry.Phase: "running", Entry.Backups.Length: 1 }, patience.Token);
            foreach (var host in _hosts) await WaitForSettled(host, patience.Token);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        // Workers first, so that the witness (the coordinator's node) sees them leave rather than vanish.
        try
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await Task.WhenAll(_hosts.Skip(1).Select(h => h.StopAsync(patience.Token)));
            if (_hosts.Count > 0) await _hosts[0].StopAsync(patience.Token);
        }
        finally
        {
            foreach (var host in _hosts) host.Dispose();
            _hosts.Clear();
            Directory.Delete(_data, recursive: true);
        }
    }

    /// <summary>Polls the coordinator (through the first worker) until the guest satisfies <paramref name="done"/>.</summary>
    public async Task<GuestStatus> WaitForGuest(Func<GuestStatus?, bool> done, CancellationToken cancellation)
    {
        var guests = Guests(Workers[0]);
        GuestStatus? last = null;
        while (true)
        {
            try
            {
                last = await guests.GetGuestAsync(Guest, cancellation);
                if (done(last)) return last!;
            }
            catch (Akka.Actor.AskTimeoutException)
            {
                // The coordinator is not there yet.
            }
            try
            {
                await Task.Delay(200, cancellation);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the guest did not get there in time; last seen: {last?.Entry.ToString() ?? "not in the table"}");
            }
        }
    }

    private static async Task WaitForSettled(IHost host, CancellationToken cancellation)
    {
        var guests = Guests(host);
        while (true)
        {
            var declarations = await guests.GetDeclarationsAsync(cancellation);
            if (declarations.Any(d => d.Name == Guest) && declarations.All(d => d.Settled)) return;
            await Task.Delay(100, cancellation);
        }
    }

    private string[] Args(string role, int port, int seed, string gateway) =>
    [
        $"--Node:Role={role}",
        $"--Node:Port={port}",
        $"--Node:Seeds:0=127.0.0.1:{seed}",
        $"--Node:GatewayAddress={gateway}",
        $"--Node:ManagementPort={FreePort.Next()}",
        "--Node:Token=embedded-test",
        $"--Node:DataDirectory={Path.Combine(_data, role + port)}",
        $"--Guest:Image={FtProcess.Guest("miniredis")}",
        $"--Guest:Expose:0=6379:{ClusterPort}",
        "--Logging:LogLevel:Default=Warning",
    ];
}
