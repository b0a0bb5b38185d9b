using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using FaultTolerant.Cluster.Node;

namespace FaultTolerant.Cluster.Cli;

/// <summary>A failed management request, said for people: no cluster there, a wrong token, a refusal.</summary>
internal sealed class ManagementException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>The command line's side of a node's management endpoint (see <see cref="ManagementEndpoint"/>).</summary>
internal sealed class ManagementClient(string node, string token) : IDisposable
{
    /// <summary>Exit codes: refused (nothing changed), cannot reach a cluster, usage.</summary>
    public const int Refused = 1, Unreachable = 3, Usage = 2;

    private readonly HttpClient _http = new() { BaseAddress = new Uri($"http://{node}/"), Timeout = TimeSpan.FromSeconds(30) };

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
        catch (TaskCanceledException)
        {
            throw new ManagementException($"the node at {Node} did not answer in time", Unreachable);
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
            throw (int)response.StatusCode switch
            {
                401 => new ManagementException($"{error} (give --token, FT_TOKEN or --token-file; a node keeps its token in DATA/management.token)", Usage),
                409 => new ManagementException(error ?? "refused", Refused),
                503 => new ManagementException(error ?? "unavailable", Unreachable),
                _ => new ManagementException($"{(int)response.StatusCode}: {error}", Usage),
            };
        }
    }

    public void Dispose() => _http.Dispose();
}
