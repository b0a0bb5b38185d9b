using System.CommandLine;
using Akka.Configuration;
using FaultTolerant.Cluster.Node;
using FaultTolerant.Replica.Settings;
using Microsoft.Extensions.Hosting;

namespace FaultTolerant.Cluster.Cli;

/// <summary><c>ft node</c>: runs one cluster node until Ctrl-C or SIGTERM (which leave the cluster gracefully).</summary>
internal static class NodeCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "A HOCON file over the reference configuration (hocon/cluster.conf).", HelpName = "FILE" };
        var seeds = new Option<string[]>("--seed") { Description = "A seed node, HOST:PORT or an Akka address; repeatable. None: this node starts the cluster.", HelpName = "ADDRESS" };
        var role = new Option<string>("--role") { Description = "worker (hosts guests) or witness (only votes).", HelpName = "worker|witness" };
        role.AcceptOnlyFromAmong("worker", "witness");
        var port = new Option<int?>("--port") { Description = "The node's Akka port (default 4053).", HelpName = "N" };
        var hostname = new Option<string>("--hostname") { Description = "The node's Akka hostname (default 127.0.0.1).", HelpName = "HOST" };
        var data = new Option<string>("--data") { Description = "The node's data directory.", HelpName = "DIR" };
        var gateway = new Option<string>("--gateway-address") { Description = "The address this node's gateways listen on (default 127.0.0.1).", HelpName = "IP" };
        var management = new Option<int?>("--management-port") { Description = "The management endpoint's port (default: the Akka port + 1000).", HelpName = "N" };
        var token = new Option<string>("--token") { Description = "The management token (default: from the data directory, created if missing).", HelpName = "TOKEN" };
        var command = new Command("node", "Run a cluster node.") { config, seeds, role, port, hostname, data, gateway, management, token };
        command.SetAction(async (parse, cancellation) =>
        {
            var options = new NodeOptions
            {
                ConfigFile = parse.GetValue(config),
                Seeds = parse.GetValue(seeds) ?? [],
                Role = parse.GetValue(role),
                Port = parse.GetValue(port),
                Hostname = parse.GetValue(hostname),
                DataDirectory = parse.GetValue(data),
                GatewayAddress = parse.GetValue(gateway),
                ManagementPort = parse.GetValue(management),
                Token = parse.GetValue(token),
            };
            IHost host;
            try
            {
                host = NodeHost.Build(options);
            }
            catch (Exception e) when (e is ConfigurationException or ClusterConfigurationException or ReplicaConfigurationException or FormatException)
            {
                await Console.Error.WriteLineAsync($"ft node: {e.Message}");
                return 2;
            }
            try
            {
                await host.RunAsync(cancellation);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C.
            }
            return 0;
        });
        return command;
    }
}
