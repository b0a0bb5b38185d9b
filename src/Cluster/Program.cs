using System.CommandLine;
using FaultTolerant.Cluster.Chaos;
using FaultTolerant.Cluster.Cli;

var root = new RootCommand("FaultTolerant: keeps a running program alive when the machine under it dies.")
{
    RunCommand.Create(),
    DemoCommand.Create(),
    NodeCommand.Create(),
    ClusterCommands.Guest(),
    ClusterCommands.Status(),
    CheckCommand.Create(),
    ChaosCommand.Create(),
};
var parsed = root.Parse(args);
int exit = await parsed.InvokeAsync();
// A command line that does not parse (a missing --image, --replicas abc) is a usage error, 2, like every command's own
// checks of its values: System.CommandLine's 1 would tell a script that `ft guest` was refused by the cluster.
return parsed.Errors.Count > 0 ? 2 : exit;
