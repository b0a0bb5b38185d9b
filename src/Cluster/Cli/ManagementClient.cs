using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using FaultTolerant.Cluster.Node;

namespace FaultTolerant.Cluster.Cli;

/// <summary>A failed management request, said for people: no cluster there, a wrong token, a refusal.</summary>
/// <param name="httpStatus">The endpoint's answer, when one came.</param>
internal sealed class ManagementException(string message, int exitCode, int? httpStatus = null) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public int? HttpStatus { get; } = httpStatus;
}

/// <summary>The command line's side of a node's management endpoint (see <see cref="ManagementEndpoint"/>).</summary>
internal sealed class ManagementClient(string node, string token) : IDisposable
{
    /// <summary>Exit codes: refused or no such guest (nothing changed), cannot reach a cluster, usage (a wrong token too).</summary>
    public const int Refused = 1, Unreachable = 3, Usage = 2;

    // A node's answer may take a while (a start waits for the guest's primary and majority writes: up to the endpoint's
    // 20 s); reaching one may not: an address where nothing answers at all (a host that is down) fails after 5 s, not 30.
    private readonly HttpClient _http = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) })
    {
        BaseAddress = new Uri($"http://{node}/"),
        Timeout = TimeSpan.FromSeconds(30),
    };

    public string Node { get; } = node;

    /// <summary>Node and token from the options, then FT_NODE / FT_TOKEN, then 127.0.0.1:5053 and the node's default token file.</summary>
    public static ManagementClient From(string? node, string? token, string? tokenFile)
    {
        node ??= Environment.GetEnvironmentVariable("FT_NODE") ?? "127.0.0.1:5053";
        token ??= Environment.GetEnvironmentVariable("FT_TOKEN");
        if (token is null && tokenFile is not null)
        {
            if (!File.Exists(tokenFile)) throw new ManagementException($"--token-file {tokenFile}: no such file", Usage);
            token = File.ReadAllText(tokenFile).Trim();
        }
        token ??= "";
        return new ManagementClient(node, token);
    }

    public async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: ManagementEndpoint.Json);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException || e.HttpRequestError == HttpRequestError.ConnectionError)
        {
            throw new ManagementException($"no cluster node answers at {Node} ({e.InnerException?.Message ?? e.Message}); start one with `ft node`, or point --node (or FT_NODE) at one", Unreachable);
        }
        catch (TaskCanceledException e)
        {
            throw new ManagementException($"the node at {Node} did not answer in time ({e.InnerException?.Message ?? e.Message})", Unreachable);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            JsonElement json;
            try
            {
                json = JsonDocument.Parse(text).RootElement.Clone();
            }
            catch (JsonException)
            {
                throw new ManagementException($"the node at {Node} answered {(int)response.StatusCode} with something that is not JSON: is it an ft node?", Unreachable);
            }
            if (response.IsSuccessStatusCode) return json;
            var error = json.TryGetProperty("error", out var e) ? e.GetString() : text;
            int status = (int)response.StatusCode;
            throw status switch
            {
                401 => new ManagementException($"{error} (give --token, FT_TOKEN or --token-file; a node keeps its token in DATA/management.token)", Usage, status),
                404 or 409 => new ManagementException(error ?? "refused", Refused, status),
                503 => new ManagementException(error ?? "unavailable", Unreachable, status),
                _ => new ManagementException($"{status}: {error}", Usage, status),
            };
        }
    }

    public void Dispose() => _http.Dispose();
}
