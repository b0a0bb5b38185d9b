using System.Text;
using FaultTolerant.Guest.Tests.Support;

namespace FaultTolerant.Guest.Tests.Programs;

/// <summary>Every guest program gives byte-identical stdout and the same exit code here as under qemu-riscv64.</summary>
public sealed class QemuParityTests
{
    public static TheoryData<string, string[], string[]> Cases => new()
    {
        { "hello", [], [] },
        { "hello", ["one", "two words", ""], ["FT_GREETING=bonjour"] },
        { "counter", ["7"], [] },
        { "counter", ["3", "5"], [] },
        { "memstress", ["1024", "3"], [] },
        { "memstress", ["16384"], [] },
        { "memstress", [], [] },
        { "compute", ["3"], [] },
        { "syscalls", [], [] },
    };

    [QemuTheory]
    [MemberData(nameof(Cases))]
    public void Program_matches_qemu_byte_for_byte(string program, string[] args, string[] env) => AssertParity(program, args, env);

    [QemuFact]
    public void Compute_at_its_default_scale_matches_qemu() => AssertParity("compute", [], []);

    private static void AssertParity(string program, string[] args, string[] env)
    {
        var envMap = env.ToDictionary(e => e[..e.IndexOf('=')], e => e[(e.IndexOf('=') + 1)..]);
        var reference = Qemu.Run(Repo.Guest(program), args, envMap);

        // Our own clock, as in production: the programs' output must not depend on time.
        var guest = Guests.Load(program, args, env, new GuestOptions());
        var (result, driver) = Guests.RunToEnd(guest);

        var exited = Assert.IsType<GuestRunResult.Exited>(result);
        Assert.Equal(Encoding.UTF8.GetString(reference.Stdout), driver.StdoutText);
        Assert.Equal(reference.Stdout, driver.Stdout);
        Assert.Equal(reference.ExitCode, exited.Code);
        // Only the syscalls test program makes an unknown syscall, on purpose, once: counted, not fatal.
        var expectedUnknown = program == "syscalls" ? new Dictionary<long, long> { [4000] = 1 } : [];
        Assert.Equal(expectedUnknown, guest.UnknownSyscalls);
    }
}
