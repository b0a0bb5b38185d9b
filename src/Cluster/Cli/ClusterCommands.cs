using System.CommandLine;
using System.Text.Json;
using FaultTolerant.Cluster.Node;

namespace FaultTolerant.Cluster.Cli;

/// <summary><c>ft guest start|stop|failover</c> and <c>ft status</c>: requests to a running cluster through a node's management endpoint.</summary>
internal static class ClusterCommands
{
    private static (Option<string> Node, Option<string> Token, Option<string> TokenFile) ConnectionOptions() =>
    (
        new Option<string>("--node") { Description = "A node's management endpoint (default: FT_NODE, else 127.0.0.1:5053).", HelpName = "HOST:PORT", Recursive = true },
        new Option<string>("--token") { Description = "The management token (default: FT_TOKEN).", HelpName = "TOKEN", Recursive = true },
        new Option<string>("--token-file") { Description = "A file holding the management token (a node's DATA/management.token).", HelpName = "FILE", Recursive = true }
    );

    public static Command Guest()
    {
        var (node, token, tokenFile) = ConnectionOptions();
        var name = new Argument<string>("name") { Description = "The guest's name." };
        var image = new Option<string>("--image") { Description = "A static RISC-V RV64 Linux executable.", HelpName = "FILE", Required = true };
        var replicas = new Option<int>("--replicas") { Description = "How many backups, each on another worker than the primary (1: the guest runs on two workers).", DefaultValueFactory = _ => 1, HelpName = "N" };
        var expose = new Option<string[]>("--expose") { Description = "Serve the guest's GUESTPORT at CLUSTERPORT on every worker's gateway; repeatable.", HelpName = "GUESTPORT:CLUSTERPORT" };
        var args = new Argument<string[]>("args") { Description = "Arguments for the guest (after --).", Arity = ArgumentArity.ZeroOrMore };

        var start = new Command("start", "Start a protected guest on the cluster.") { name, image, replicas, expose, args };
        start.SetAction(async parse =>
        {
            var path = parse.GetRequiredValue(image);
            if (!File.Exists(path))
            {
                await Console.Error.WriteLineAsync($"ft guest start: {path}: no such file");
                return ManagementClient.Usage;
            }
            var body = new StartGuestRequest(parse.GetRequiredValue(name), Convert.ToBase64String(await File.ReadAllBytesAsync(path)),
                parse.GetValue(args) ?? [], parse.GetValue(replicas), parse.GetValue(expose) ?? []);
            return await Run("guest start", parse.GetValue(node), parse.GetValue(token), parse.GetValue(tokenFile), c => c.SendAsync(HttpMethod.Post, "v1/guests", body), Message);
        });

        var stopName = new Argument<string>("name") { Description = "The guest's name." };
        var stop = new Command("stop", "Stop a guest everywhere.") { stopName };
        stop.SetAction(parse => Run("guest stop", parse.GetValue(node), parse.GetValue(token), parse.GetValue(tokenFile),
            c => c.SendAsync(HttpMethod.Delete, $"v1/guests/{Uri.EscapeDataString(parse.GetRequiredValue(stopName))}"), Message));

        var failoverName = new Argument<string>("name") { Description = "The guest's name." };
        var failover = new Command("failover", "Planned switchover: the most up-to-date backup becomes the primary.") { failoverName };
        failover.SetAction(parse => Run("guest failover", parse.GetValue(node), parse.GetValue(token), parse.GetValue(tokenFile),
            c => c.SendAsync(HttpMethod.Post, $"v1/guests/{Uri.EscapeDataString(parse.GetRequiredValue(failoverName))}/failover"), Message));

        return new Command("guest", "Start, stop or switch over guests on a running cluster.") { node, token, tokenFile, start, stop, failover };
    }

    public static Command Status()
    {
        var (node, token, tokenFile) = ConnectionOptions();
        var json = new Option<bool>("--json") { Description = "Print the status as one JSON object." };
        var status = new Command("status", "Show the cluster's nodes and guests.") { node, token, tokenFile, json };
        status.SetAction(parse => Run("status", parse.GetValue(node), parse.GetValue(token), parse.GetValue(tokenFile),
            c => c.SendAsync(HttpMethod.Get, "v1/status"), parse.GetValue(json) ? e => e.GetRawText() : StatusTable.Render));
        return status;
    }

    private static string Message(JsonElement result) => result.TryGetProperty("message", out var m) ? m.GetString() ?? "" : result.GetRawText();

    private static async Task<int> Run(string what, string? node, string? token, string? tokenFile, Func<ManagementClient, Task<JsonElement>> send, Func<JsonElement, string> show)
    {
        try
        {
            using var client = ManagementClient.From(node, token, tokenFile);
            var result = await send(client);
            Console.WriteLine(show(result));
            return 0;
        }
        catch (ManagementException e)
        {
            await Console.Error.WriteLineAsync($"ft {what}: {e.Message}");
            return e.ExitCode;
        }
    }
}
