using System.CommandLine;
using FaultTolerant.Check;

namespace FaultTolerant.Cluster.Cli;

/// <summary>
/// <c>ft check --model register|etcd|kv|auto FILE...</c>: checks recorded histories for linearizability (ours, and
/// Jepsen-style logs); one verdict per file, or one JSON object. All the work is in <see cref="CheckCommandRunner"/>
/// (docs/CHECKER.md); exit codes are its: 0 linearizable, 1 not, 2 bad input, 3 unknown (time limit).
/// </summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "register, etcd, kv, or auto (etcd logs: etcd, EDN: kv, our JSON Lines: register).", DefaultValueFactory = _ => CheckCommandRunner.AutoModel, HelpName = "MODEL" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with every file's verdict." };
        var timeLimit = new Option<double>("--time-limit") { Description = "Seconds per file before the answer is Unknown (0: none).", DefaultValueFactory = _ => 60, HelpName = "SECONDS" };
        var html = new Option<string?>("--html") { Description = "Write a timeline page NAME.html per file into this directory.", HelpName = "DIR" };
        var files = new Argument<string[]>("files") { Description = "History files.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("check", "Check recorded histories for linearizability: a verdict per file (linearizable, not linearizable, unknown).")
        {
            model, json, timeLimit, html, files,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            double seconds = parse.GetValue(timeLimit);
            if (seconds < 0 || double.IsNaN(seconds))
            {
                await Console.Error.WriteLineAsync("ft check: --time-limit must be 0 (none) or a positive number of seconds");
                return CheckCommandRunner.BadInput;
            }
            return await CheckCommandRunner.RunAsync(parse.GetValue(model)!, parse.GetValue(files) ?? [], parse.GetValue(json),
                TimeSpan.FromSeconds(seconds), parse.GetValue(html), Console.Out, Console.Error, cancellation);
        });
        return command;
    }
}
