using System.Buffers.Binary;
using FaultTolerant.Guest.Cpu;
using FaultTolerant.Guest.Memory;

namespace FaultTolerant.Guest.Tests.Cpu;

/// <summary>
/// A hart and a small address space for running hand-assembled programs through <see cref="Interpreter.Run"/>.
/// </summary>
/// <remarks>
/// Layout: code at <see cref="CodeBase"/> (<see cref="CodePages"/> pages, R+X unless asked otherwise), data at
/// <see cref="DataBase"/> (<see cref="DataPages"/> pages, R+W), one read-only page at <see cref="ReadOnlyBase"/>,
/// one page with no rights at <see cref="NoAccessBase"/>, and nothing mapped at <see cref="UnmappedBase"/>.
/// <see cref="Program"/> appends an <c>ecall</c>, so a program that falls off its end stops with
/// <see cref="StopReason.Ecall"/> at <see cref="EcallAddress"/>.
/// </remarks>
internal sealed class CpuHarness
{
    public const ulong CodeBase = 0x10000;
    public const int CodePages = 4;
    public const ulong DataBase = 0x20000;
    public const int DataPages = 16;
    public const ulong ReadOnlyBase = 0x30000;
    public const ulong NoAccessBase = 0x31000;
    public const ulong UnmappedBase = 0x50000;
    public const long DefaultBudget = 100_000;

    /// <summary>Registers used by <see cref="Exec"/> and <see cref="ExecImm"/>: sources x1, x2; destination x3.</summary>
    public const int A = 1;
    public const int B = 2;
    public const int D = 3;

    public CpuHarness(PagePermissions codePermissions = PagePermissions.ReadExecute)
    {
        Memory = new GuestMemory(maxPages: 64);
        Assert.True(Memory.Map(CodeBase >> 12, CodePages, codePermissions));
        Assert.True(Memory.Map(DataBase >> 12, DataPages, PagePermissions.ReadWrite));
        Assert.True(Memory.Map(ReadOnlyBase >> 12, 1, PagePermissions.Read));
        Assert.True(Memory.Map(NoAccessBase >> 12, 1, PagePermissions.None));
        Hart = new Hart { Pc = CodeBase };
    }

    public GuestMemory Memory { get; }

    public Hart Hart { get; }

    public StopReason Stop { get; private set; }

    public FaultCause Cause { get; private set; }

    public ulong FaultAddress { get; private set; }

    /// <summary>Where the ecall appended by <see cref="Program"/> sits.</summary>
    public ulong EcallAddress { get; private set; }

    public ulong Pc
    {
        get => Hart.Pc;
        set => Hart.Pc = value;
    }

    public long Instret => Hart.InstructionsRetired;

    public ulong this[int register]
    {
        get => Hart[register];
        set => Hart[register] = value;
    }

    /// <summary>Writes the program at <see cref="CodeBase"/> followed by an ecall, and points pc at it.</summary>
    public CpuHarness Program(params uint[] instructions)
    {
        Place(CodeBase, [.. instructions, Rv64Asm.Ecall()]);
        EcallAddress = CodeBase + (ulong)instructions.Length * 4;
        Hart.Pc = CodeBase;
        return this;
    }

    /// <summary>Writes instruction words at any mapped address, ignoring permissions (as a loader would).</summary>
    public CpuHarness Place(ulong address, params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
        Assert.True(Memory.TryWritePrivileged(address, bytes), $"cannot place code at 0x{address:x}");
        return this;
    }

    public CpuHarness With(int register, ulong value)
    {
        Hart[register] = value;
        return this;
    }

    public CpuHarness Poke(ulong address, ReadOnlySpan<byte> bytes)
    {
        Assert.True(Memory.TryWritePrivileged(address, bytes), $"cannot write data at 0x{address:x}");
        return this;
    }

    public CpuHarness Poke64(ulong address, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        return Poke(address, b);
    }

    public byte[] Peek(ulong address, int length)
    {
        var b = new byte[length];
        Assert.True(Memory.TryRead(address, b), $"cannot read data at 0x{address:x}");
        return b;
    }

    public ulong Peek64(ulong address) => BinaryPrimitives.ReadUInt64LittleEndian(Peek(address, 8));

    /// <summary>Runs until an ecall, a fault, or <paramref name="budget"/> more instructions.</summary>
    public StopReason Run(long budget = DefaultBudget)
    {
        Stop = Interpreter.Run(Hart, Memory, Hart.InstructionsRetired + budget, out var cause, out var address);
        Cause = cause;
        FaultAddress = address;
        return Stop;
    }

    /// <summary>Runs and asserts the program reached its final ecall.</summary>
    public CpuHarness RunToEcall()
    {
        Run();
        Assert.True(Stop == StopReason.Ecall, $"expected the final ecall, got {Describe()}");
        Assert.Equal(EcallAddress, Hart.Pc);
        return this;
    }

    /// <summary>Runs and asserts a fault of the given cause.</summary>
    public CpuHarness RunToFault(FaultCause expected)
    {
        Run();
        Assert.True(Stop == StopReason.Fault, $"expected a {expected} fault, got {Describe()}");
        Assert.Equal(expected, Cause);
        return this;
    }

    public string Describe() => Stop switch
    {
        StopReason.Fault => $"fault {Cause} at pc 0x{Hart.Pc:x}, address 0x{FaultAddress:x}",
        _ => $"{Stop} at pc 0x{Hart.Pc:x} after {Hart.InstructionsRetired} instructions",
    };

    // ---- One-instruction helpers: operands in x1 (and x2), result from x3. ----------------------

    /// <summary>Runs <c>op x3, x1, x2</c> with x1 = <paramref name="a"/>, x2 = <paramref name="b"/>; returns x3.</summary>
    public static ulong Exec(Func<int, int, int, uint> op, ulong a, ulong b)
    {
        var h = new CpuHarness().With(A, a).With(B, b).With(D, 0xDEAD_BEEF_DEAD_BEEF).Program(op(D, A, B)).RunToEcall();
        Assert.Equal(a, h[A]);
        Assert.Equal(b, h[B]);
        Assert.Equal(1, h.Instret);
        return h[D];
    }

    /// <summary>Runs <c>op x3, x1, imm</c> with x1 = <paramref name="a"/>; returns x3.</summary>
    public static ulong ExecImm(Func<int, int, int, uint> op, ulong a, int imm)
    {
        var h = new CpuHarness().With(A, a).With(D, 0xDEAD_BEEF_DEAD_BEEF).Program(op(D, A, imm)).RunToEcall();
        Assert.Equal(a, h[A]);
        Assert.Equal(1, h.Instret);
        return h[D];
    }

    /// <summary>Runs a single instruction word and returns the harness for inspection (no assertion on how it stopped).</summary>
    public static CpuHarness Single(uint word)
    {
        var h = new CpuHarness().Program(word);
        h.Run();
        return h;
    }
}
