using System.Net;
using System.Net.Sockets;
using Akka.Configuration;
using FaultTolerant.Cluster.Placement;

namespace FaultTolerant.Cluster.Node;

/// <summary>A bad <c>ft.cluster</c> value, named with its key.</summary>
public sealed class ClusterConfigurationException(string message) : Exception(message);

/// <summary><c>ft.cluster</c> (hocon/cluster.conf), read once at start; a bad value is refused naming its key.</summary>
public sealed record ClusterSettings
{
    public required NodeRole Role { get; init; }

    public required string DataDirectory { get; init; }

    public required IPAddress GatewayAddress { get; init; }

    public required IPAddress IngressAddress { get; init; }

    public required string IngressAdvertised { get; init; }

    public required int IngressPort { get; init; }

    public required IPAddress ManagementAddress { get; init; }

    public required int ManagementPort { get; init; }

    public required string ConfiguredToken { get; init; }

    public required TimeSpan MajorityTimeout { get; init; }

    public required TimeSpan MajorityFirstTimeout { get; init; }

    public required TimeSpan SuspectPingTimeout { get; init; }

    /// <summary>ft.cluster.placement.indirect-down-after.</summary>
    public required TimeSpan IndirectDownAfter { get; init; }

    public required TimeSpan OrphanTimeout { get; init; }

    /// <summary>ft.cluster.ingress.max-unacknowledged-output.</summary>
    public required long IngressMaxUnacknowledgedOutput { get; init; }

    public required TimeSpan IngressHelloTimeout { get; init; }

    public required TimeSpan IngressHeartbeatInterval { get; init; }

    public required TimeSpan IngressIdleTimeout { get; init; }

    /// <summary>ft.cluster.gateway.*: the gateways' limits and timeouts (bind address and logging are the node's).</summary>
    public required long GatewayMaxUncommittedInput { get; init; }

    public required long GatewayMaxUnsentOutput { get; init; }

    public required TimeSpan GatewayConnectTimeout { get; init; }

    public required TimeSpan GatewayCloseLinger { get; init; }

    /// <summary>The ingress server's options from these settings.</summary>
    public Ingress.IngressServerOptions IngressOptions(Action<string>? log) => new()
    {
        OrphanTimeout = OrphanTimeout,
        MaxUnacknowledgedOutputBytes = IngressMaxUnacknowledgedOutput,
        HelloTimeout = IngressHelloTimeout,
        HeartbeatInterval = IngressHeartbeatInterval,
        IdleTimeout = IngressIdleTimeout,
        Log = log,
    };

    /// <summary>A node gateway's options from these settings.</summary>
    public Gateway.GuestGatewayOptions GatewayOptions(Action<string>? log) => new()
    {
        BindAddress = GatewayAddress,
        MaxUncommittedInputBytes = GatewayMaxUncommittedInput,
        MaxUnsentOutputBytes = GatewayMaxUnsentOutput,
        ConnectTimeout = GatewayConnectTimeout,
        CloseLinger = GatewayCloseLinger,
        // A node's gateway keeps its clients through a failover; the connections the new primary does not know are
        // dropped by the ingress (orphans), not ended by the gateway.
        EndUnclaimedOnFailover = false,
        Log = log,
    };

    /// <summary>This process's identity towards primaries' ingress (claims are honoured only for the same gateway).</summary>
    public string NodeId { get; } = Guid.NewGuid().ToString("n");

    /// <exception cref="ClusterConfigurationException">A value is missing or wrong.</exception>
    public static ClusterSettings Create(Config config)
    {
        var c = config.GetConfig("ft.cluster") ?? throw new ClusterConfigurationException("ft.cluster is missing");
        var role = c.GetString("role", "worker") switch
        {
            "worker" => NodeRole.Worker,
            "witness" => NodeRole.Witness,
            var other => throw new ClusterConfigurationException($"ft.cluster.role = {other}: expected worker or witness"),
        };
        int akkaPort = config.GetInt("akka.remote.dot-netty.tcp.port", 4053);
        var data = c.GetString("data-directory", "");
        if (string.IsNullOrWhiteSpace(data))
        {
            var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
            if (string.IsNullOrEmpty(state)) state = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
            data = Path.Combine(state, "faulttolerant", akkaPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        int management = c.GetInt("management.port", -1);
        if (management == -1) management = akkaPort == 0 ? FreePort() : akkaPort + 1000;
        if (management is < 1 or > 65535) throw new ClusterConfigurationException($"ft.cluster.management.port = {management}: expected 1-65535, or -1 for the Akka port + 1000");
        int ingressPort = c.GetInt("ingress.port", 0);
        if (ingressPort is < 0 or > 65535) throw new ClusterConfigurationException($"ft.cluster.ingress.port = {ingressPort}: expected 0-65535");
        var ingressHost = c.GetString("ingress.hostname", "127.0.0.1");
        return new ClusterSettings
        {
            Role = role,
            DataDirectory = data,
            GatewayAddress = Address(c, "gateway-address"),
            IngressAddress = Address(c, "ingress.hostname"),
            IngressAdvertised = ingressHost,
            IngressPort = ingressPort,
            ManagementAddress = Address(c, "management.hostname"),
            ManagementPort = management,
            ConfiguredToken = c.GetString("management.token", ""),
            MajorityTimeout = Positive(c, "placement.majority-timeout"),
            MajorityFirstTimeout = Positive(c, "placement.majority-first-timeout"),
            SuspectPingTimeout = Positive(c, "placement.suspect-ping-timeout"),
            IndirectDownAfter = Positive(c, "placement.indirect-down-after"),
            OrphanTimeout = Positive(c, "placement.orphan-timeout"),
            IngressMaxUnacknowledgedOutput = Bytes(c, "ingress.max-unacknowledged-output"),
            IngressHelloTimeout = Positive(c, "ingress.hello-timeout"),
            IngressHeartbeatInterval = Positive(c, "ingress.heartbeat-interval"),
            IngressIdleTimeout = Positive(c, "ingress.idle-timeout"),
            GatewayMaxUncommittedInput = Bytes(c, "gateway.max-uncommitted-input"),
            GatewayMaxUnsentOutput = Bytes(c, "gateway.max-unsent-output"),
            GatewayConnectTimeout = Positive(c, "gateway.connect-timeout"),
            GatewayCloseLinger = Positive(c, "gateway.close-linger"),
        };
    }

    /// <summary>The management token: configured, or kept in the data directory (created, mode 0600, when missing).</summary>
    public string ResolveToken()
    {
        if (!string.IsNullOrEmpty(ConfiguredToken)) return ConfiguredToken;
        Directory.CreateDirectory(DataDirectory);
        var path = Path.Combine(DataDirectory, "management.token");
        if (File.Exists(path)) return File.ReadAllText(path).Trim();
        var token = NodeHost.NewToken();
        File.WriteAllText(path, token + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return token;
    }

    private static IPAddress Address(Config c, string key)
    {
        var text = c.GetString(key, "");
        if (IPAddress.TryParse(text, out var address)) return address;
        try
        {
            return Dns.GetHostAddresses(text).OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).First();
        }
        catch (Exception e) when (e is SocketException or ArgumentException or InvalidOperationException)
        {
            throw new ClusterConfigurationException($"ft.cluster.{key} = \"{text}\": not an address ({e.Message})");
        }
    }

    private static long Bytes(Config c, string key) =>
        Positive(c, key, (c, k) => c.GetByteSize(k) ?? 0, v => v > 0, "size in bytes, such as 4MiB");

    private static TimeSpan Positive(Config c, string key) =>
        Positive(c, key, (c, k) => c.GetTimeSpan(k, TimeSpan.Zero), v => v > TimeSpan.Zero, "duration, such as 500ms or 3s");

    /// <summary>Reads a value that must be positive; a malformed or non-positive one is refused naming its key.</summary>
    private static T Positive<T>(Config c, string key, Func<Config, string, T> read, Func<T, bool> positive, string expected)
    {
        T value;
        try
        {
            value = read(c, key);
        }
        catch (Exception e) when (e is FormatException or ConfigurationException or OverflowException)
        {
            throw new ClusterConfigurationException($"ft.cluster.{key}: expected a positive {expected} ({e.Message})");
        }
        return positive(value) ? value : throw new ClusterConfigurationException($"ft.cluster.{key}: expected a positive {expected}");
    }

    /// <summary>A TCP port free on loopback now (the OS picks; it may be taken again before use).</summary>
    internal static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
