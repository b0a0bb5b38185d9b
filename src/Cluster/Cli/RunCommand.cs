using System.CommandLine;
using FaultTolerant.Cluster.Local;
using FaultTolerant.Guest;
using FaultTolerant.Guest.Memory;

namespace FaultTolerant.Cluster.Cli;

/// <summary><c>ft run</c>: one guest on this machine, no replication.</summary>
internal static class RunCommand
{
    /// <summary>Exit codes besides the guest's own: the usual shell meanings.</summary>
    public const int CannotExecute = 126, NotFound = 127;

    public static Command Create()
    {
        var env = new Option<string[]>("--env") { Description = "Set a guest environment variable (NAME=VALUE); repeatable.", HelpName = "NAME=VALUE" };
        var expose = new Option<string[]>("--expose") { Description = "Let TCP clients on 127.0.0.1:HOSTPORT reach the guest's listener on GUESTPORT; repeatable.", HelpName = "GUESTPORT:HOSTPORT" };
        var memory = new Option<string>("--memory") { Description = "Guest memory limit (e.g. 256M, 1G).", HelpName = "SIZE", DefaultValueFactory = _ => "1G" };
        var guest = new Argument<string>("guest") { Description = "A static RISC-V RV64 Linux executable." };
        var args = new Argument<string[]>("args") { Description = "Arguments for the guest.", Arity = ArgumentArity.ZeroOrMore, CaptureRemainingTokens = true };
        var command = new Command("run", "Run a guest program locally, without replication.") { env, expose, memory, guest, args };
        command.SetAction((parse, cancellation) => RunAsync(
            parse.GetRequiredValue(guest), parse.GetValue(args) ?? [], parse.GetValue(env) ?? [], parse.GetValue(expose) ?? [],
            parse.GetRequiredValue(memory), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(string path, string[] args, string[] env, string[] expose, string memory, CancellationToken cancellation)
    {
        GuestOptions options;
        List<PortExposure> exposures;
        try
        {
            options = new GuestOptions { MemoryLimit = ByteSize.Parse(memory) };
            exposures = [.. expose.Select(PortExposure.Parse)];
            foreach (var e in env)
            {
                if (!e.Contains('=') || e.StartsWith('=')) throw new FormatException($"--env '{e}' is not NAME=VALUE");
            }
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"ft run: {e.Message}");
            return 2;
        }
        if (!File.Exists(path))
        {
            await Console.Error.WriteLineAsync($"ft run: {path}: no such file");
            return NotFound;
        }

        IGuest g;
        try
        {
            var elf = await File.ReadAllBytesAsync(path, cancellation);
            g = Rv64Guest.Load(elf, [path, .. args], env, options);
        }
        catch (InvalidElfException e)
        {
            await Console.Error.WriteLineAsync($"ft run: cannot run {path}: {e.Message}");
            return CannotExecute;
        }

        await using var host = new LocalGuestHost(g, Console.OpenStandardOutput(), Console.OpenStandardError(), exposures);
        try
        {
            host.Start();
        }
        catch (System.Net.Sockets.SocketException e)
        {
            await Console.Error.WriteLineAsync($"ft run: cannot expose a port: {e.Message}");
            return 2;
        }
        var result = await host.RunAsync(cancellation);
        switch (result)
        {
            case GuestRunResult.Exited exited:
                return exited.Code;
            case GuestRunResult.Faulted fault:
                await Console.Error.WriteLineAsync($"ft run: {fault}");
                return ExitCodeFor(fault.Cause);
            default:
                throw new InvalidOperationException($"guest host ended with {result}");
        }
    }

    /// <summary>128 + the signal Linux would have sent for the fault, so scripts see what they would under qemu.</summary>
    private static int ExitCodeFor(FaultCause cause) => cause switch
    {
        FaultCause.IllegalInstruction => 128 + 4,   // SIGILL
        FaultCause.Breakpoint => 128 + 5,           // SIGTRAP
        FaultCause.InstructionAddressMisaligned => 128 + 7, // SIGBUS
        FaultCause.EmulatorError => 128 + 6,        // SIGABRT
        _ => 128 + 11,                              // SIGSEGV
    };
}
