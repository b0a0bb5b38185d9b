using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using FaultTolerant.Cluster.Placement;
using Microsoft.Extensions.Hosting;

namespace FaultTolerant.Cluster.Node;

/// <summary>The body of <c>POST /v1/guests</c>.</summary>
public sealed record StartGuestRequest(string Name, string Image, string[]? Args, int Replicas, string[]? Expose);

/// <summary>
/// The node's management endpoint, what the <c>ft</c> command line talks to (docs/CLUSTER.md): HTTP on the node's
/// management address with JSON bodies, each request carrying <c>Authorization: Bearer TOKEN</c>. Every request is
/// handed to the placement coordinator (through this node's singleton proxy); the node itself decides nothing.
/// </summary>
/// <remarks>
/// <c>GET /v1/status</c>; <c>POST /v1/guests</c> (<see cref="StartGuestRequest"/>, the image base64);
/// <c>DELETE /v1/guests/NAME</c>; <c>POST /v1/guests/NAME/failover</c>. Answers: 200 with the result, 401 without the
/// token, 400 for a malformed request, 404 for a guest that does not exist, 409 for a refused command (nothing changed),
/// 503 when the coordinator does not answer in time.
/// </remarks>
public sealed class ManagementEndpoint(ActorRegistry registry, ClusterSettings settings, string token, Action<string> log) : BackgroundService
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Status changes nothing and is polled: it gives up sooner, so a poll made while the coordinator moves (its proxy
    /// still sends to the old one) is answered 503 in seconds and the next poll finds the new one.
    /// </summary>
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://{settings.ManagementAddress}:{settings.ManagementPort}/");
        try
        {
            listener.Start();
        }
        catch (HttpListenerException e)
        {
            log($"management: cannot listen on {settings.ManagementAddress}:{settings.ManagementPort}: {e.Message}; the command line cannot reach this node");
            return;
        }
        using var registration = stoppingToken.Register(listener.Stop);
        while (!stoppingToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                break;
            }
            _ = HandleAsync(context);
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var (status, body) = await AnswerAsync(context.Request);
            await Write(response, status, body);
        }
        catch (Exception e)
        {
            // One bad request never takes the endpoint, let alone the node, down.
            log($"management: {context.Request.HttpMethod} {context.Request.Url?.AbsolutePath} failed: {e.Message}");
            try
            {
                await Write(response, 500, new { error = e.Message });
            }
            catch (Exception)
            {
                // The client is gone.
            }
        }
    }

    private async Task<(int Status, object Body)> AnswerAsync(HttpListenerRequest request)
    {
        if (!Authorized(request.Headers["Authorization"])) return (401, new { error = "missing or wrong token (Authorization: Bearer TOKEN)" });
        var path = request.Url?.AbsolutePath.TrimEnd('/') ?? "";
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        object command;
        switch (request.HttpMethod, parts)
        {
            case ("GET", ["v1", "status"]):
                command = GetClusterStatus.Instance;
                break;
            case ("POST", ["v1", "guests"]):
                StartGuestRequest? start;
                try
                {
                    start = await JsonSerializer.DeserializeAsync<StartGuestRequest>(request.InputStream, Json);
                }
                catch (JsonException e)
                {
                    return (400, new { error = $"malformed request: {e.Message}" });
                }
                // An empty image is the coordinator's to refuse ("the image is empty"): "required" would say it was not given.
                if (start is null || string.IsNullOrEmpty(start.Name) || start.Image is null) return (400, new { error = "name and image are required" });
                byte[] image;
                try
                {
                    image = Convert.FromBase64String(start.Image);
                }
                catch (FormatException)
                {
                    return (400, new { error = "image is not base64" });
                }
                // Refused here as the coordinator would: an image over a remoting frame would never reach a coordinator
                // on another node, and the request would wait out the timeout for an answer that cannot come.
                if (PlacementCoordinator.ImageSizeRefusal(image.Length) is { } size) return (409, new { error = size, guest = (GuestEntry?)null });
                var ports = new List<PortMapping>();
                foreach (var e in start.Expose ?? [])
                {
                    var pair = e.Split(':');
                    if (pair.Length != 2 || !int.TryParse(pair[0], out int g) || !int.TryParse(pair[1], out int c)) return (400, new { error = $"--expose {e}: expected GUESTPORT:CLUSTERPORT" });
                    ports.Add(new PortMapping(g, c));
                }
                command = new StartGuest(start.Name, image, start.Args ?? [], start.Replicas, [.. ports]);
                break;
            case ("DELETE", ["v1", "guests", var name]):
                command = new StopGuest(name);
                break;
            case ("POST", ["v1", "guests", var name, "failover"]):
                command = new FailoverGuest(name);
                break;
            default:
                return (404, new { error = $"no such request: {request.HttpMethod} {path}" });
        }
        var coordinator = registry.Get<PlacementCoordinator>();
        object answer;
        try
        {
            answer = await coordinator.Ask<object>(command, command is GetClusterStatus ? StatusTimeout : CommandTimeout);
        }
        catch (AskTimeoutException)
        {
            var waited = command is GetClusterStatus ? StatusTimeout : CommandTimeout;
            return (503, new { error = $"the coordinator did not answer within {waited.TotalSeconds:0} s (is a majority of the cluster up, or is the coordinator moving?)" });
        }
        return answer switch
        {
            CommandResult { Ok: false, UnknownGuest: true } unknown => (404, new { error = unknown.Message, reason = Reason(unknown.Reason) }),
            CommandResult { Ok: false } refused => (409, new { error = refused.Message, reason = Reason(refused.Reason), guest = refused.Guest }),
            CommandResult done => (200, new { ok = true, message = done.Message, guest = done.Guest }),
            _ => (200, answer),
        };
    }

    /// <summary>The refusal reason as it appears in JSON: kebab-case (no-majority, not-enough-nodes...).</summary>
    private static string Reason(RefusalReason reason) => JsonNamingPolicy.KebabCaseLower.ConvertName(reason.ToString());

    private bool Authorized(string? header)
    {
        const string Prefix = "Bearer ";
        if (header is null || !header.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var given = Encoding.UTF8.GetBytes(header[Prefix.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(token));
    }

    private static async Task Write(HttpListenerResponse response, int status, object body)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Json);
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }
}
