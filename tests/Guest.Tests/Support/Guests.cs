using FaultTolerant.Guest.Hosting;
using FaultTolerant.Guest.Kernel;

namespace FaultTolerant.Guest.Tests.Support;

/// <summary>Starting guest programs the way the tests need them.</summary>
public static class Guests
{
    /// <summary>Deterministic: virtual time and a fixed entropy seed, so two runs are identical to the byte.</summary>
    public static GuestOptions Deterministic(ulong seed = 42) =>
        new() { ClockMode = GuestClockMode.Virtual, RandomSeed = seed };

    public static Rv64Guest Load(string program, IReadOnlyList<string>? args = null, IReadOnlyList<string>? env = null, GuestOptions? options = null) =>
        Rv64Guest.Load(Repo.GuestElf(program), [program + ".elf", .. args ?? []], env, options ?? Deterministic());

    /// <summary>Runs a program to its end; returns the driver holding its output.</summary>
    public static (GuestRunResult Result, GuestDriver Driver) RunToEnd(Rv64Guest guest)
    {
        var driver = new GuestDriver(guest);
        var result = driver.RunUntilIdle();
        return (result, driver);
    }
}
