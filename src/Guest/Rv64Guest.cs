using System.Security.Cryptography;
using FaultTolerant.Guest.Cpu;
using FaultTolerant.Guest.Elf;
using FaultTolerant.Guest.Kernel;
using FaultTolerant.Guest.Kernel.Files;
using FaultTolerant.Guest.Memory;

namespace FaultTolerant.Guest;

/// <summary>A Linux riscv64 user-mode process run by our interpreter: the one implementation of <see cref="IGuest"/>.</summary>
public sealed partial class Rv64Guest : IGuest
{
    private readonly GuestOptions _options;
    private readonly Hart _hart = new();
    private readonly GuestMemory _memory;
    private LinuxKernel _kernel;
    private GuestRunResult? _final;

    private Rv64Guest(GuestOptions options, GuestMemory memory, ulong seed)
    {
        _options = options;
        _memory = memory;
        _kernel = NewKernel(seed, VirtualFileSystem.CreateDefault());
    }

    private LinuxKernel NewKernel(ulong seed, VirtualFileSystem files) =>
        new(_memory, _hart, _options.KernelLimits, new GuestClock(_options.ClockMode, _options.HostClock, () => _hart.InstructionsRetired),
            new GuestRandom(seed), files);

    /// <summary>Starts a process from a static RV64 ELF executable.</summary>
    /// <param name="args">argv, including argv[0].</param>
    /// <param name="environment">envp entries, each NAME=VALUE.</param>
    /// <param name="files">Files to place in the guest's file system before it starts (absolute path → contents).</param>
    /// <exception cref="InvalidElfException">The executable cannot run here; the message says why.</exception>
    public static Rv64Guest Load(
        ReadOnlySpan<byte> elf,
        IReadOnlyList<string> args,
        IReadOnlyList<string>? environment = null,
        GuestOptions? options = null,
        IReadOnlyDictionary<string, byte[]>? files = null)
    {
        options ??= new GuestOptions();
        var image = ElfLoader.Parse(elf);
        var memory = new GuestMemory(Math.Max(1, options.MemoryLimit >> Page.Shift));
        var guest = new Rv64Guest(options, memory, options.RandomSeed ?? BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)));
        ElfLoader.Load(image, elf, memory);
        var random16 = new byte[16];
        guest._kernel.Random.Fill(random16);
        guest._hart.Pc = image.Entry;
        guest._hart[2] = InitialStack.Build(memory, image, args, environment ?? [], random16);
        ulong brk = (image.End + Page.OffsetMask) & ~Page.OffsetMask;
        guest._kernel.BrkStart = brk;
        guest._kernel.BrkCurrent = brk;
        guest._kernel.OpenStandardStreams();
        foreach (var (path, contents) in files ?? new Dictionary<string, byte[]>()) guest._kernel.Files.Seed(path, contents);
        return guest;
    }

    public GuestStatus Status => _final switch
    {
        GuestRunResult.Exited => GuestStatus.Exited,
        GuestRunResult.Faulted => GuestStatus.Faulted,
        _ => GuestStatus.Runnable,
    };

    public long InstructionsRetired => _hart.InstructionsRetired;

    public ulong Pc => _hart.Pc;

    public IReadOnlyDictionary<long, long> UnknownSyscalls => _kernel.UnknownSyscalls;

    public GuestMemoryStatistics MemoryStatistics =>
        new(_memory.MappedPages, _memory.ResidentPages, _memory.DirtyPageCount, _memory.MaxPages);

    /// <summary>Dirty tracking on or off; off only to measure what it costs (captures then miss pages).</summary>
    public bool TrackDirtyPages
    {
        get => _memory.TrackDirty;
        set => _memory.TrackDirty = value;
    }

    public GuestRunResult Run(long instructionBudget)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(instructionBudget);
        if (_final is not null) return _final;
        long limit = long.MaxValue - _hart.InstructionsRetired < instructionBudget ? long.MaxValue : _hart.InstructionsRetired + instructionBudget;
        while (true)
        {
            switch (Interpreter.Run(_hart, _memory, limit, out var cause, out var address))
            {
                case StopReason.Budget:
                    return GuestRunResult.BudgetExhausted.Instance;
                case StopReason.Fault:
                    return _final = new GuestRunResult.Faulted(cause, _hart.Pc, address);
                case StopReason.Ecall:
                    SyscallOutcome outcome;
                    try
                    {
                        outcome = _kernel.Execute();
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        // A kernel bug ends this guest, never the host running it.
                        return _final = new GuestRunResult.Faulted(FaultCause.EmulatorError, _hart.Pc, _hart[17], $"syscall {_hart[17]}: {e.GetType().Name}: {e.Message}");
                    }
                    switch (outcome)
                    {
                        case SyscallOutcome.Completed:
                            _hart.Pc += 4;
                            _hart.InstructionsRetired++;
                            if (_hart.InstructionsRetired >= limit) return GuestRunResult.BudgetExhausted.Instance;
                            continue;
                        case SyscallOutcome.Blocked:
                            var wait = _kernel.Wait!;
                            return new GuestRunResult.Blocked(wait, wait.DeadlineNanoseconds is { } d ? _kernel.Clock.HostDelayUntil(d) : null);
                        default:
                            _hart.InstructionsRetired++;
                            return _final = new GuestRunResult.Exited(_kernel.ExitCode);
                    }
            }
        }
    }

    /// <summary>The guest's memory, for benchmarks and tests that look below the <see cref="IGuest"/> surface.</summary>
    internal GuestMemory Memory => _memory;

    /// <summary>The guest's monotonic clock now, without the guest observing it.</summary>
    internal long MonotonicNow => _kernel.Clock.Peek();

    public TimeSpan DelayUntil(long guestDeadlineNanoseconds) => _kernel.Clock.HostDelayUntil(guestDeadlineNanoseconds);
}
