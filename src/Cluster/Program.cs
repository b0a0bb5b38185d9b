using System.CommandLine;
using FaultTolerant.Cluster.Cli;

var root = new RootCommand("FaultTolerant: keeps a running program alive when the machine under it dies.")
{
    RunCommand.Create(),
    DemoCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
