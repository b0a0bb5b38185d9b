using System.CommandLine;
using FaultTolerant.Cluster.Cli;

var root = new RootCommand("FaultTolerant: keeps a running program alive when the machine under it dies.")
{
    RunCommand.Create(),
    DemoCommand.Create(),
    NodeCommand.Create(),
    ClusterCommands.Guest(),
    ClusterCommands.Status(),
};
return await root.Parse(args).InvokeAsync();
