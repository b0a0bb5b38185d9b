using System.Runtime.CompilerServices;

namespace FaultTolerant.Guest.Cpu;

/// <summary>The architectural state of one RV64 hart: x0–x31, pc, and the retired-instruction count.</summary>
public sealed unsafe class Hart
{
    public const int RegisterCount = 32;

    // x0..x31 and the sink register x32 that absorbs writes to x0. Pinned so the interpreter can use a raw pointer.
    private readonly ulong[] _x = GC.AllocateArray<ulong>(RegisterCount + 1, pinned: true);

    public ulong Pc { get; set; }

    public long InstructionsRetired { get; set; }

    internal ulong* Registers => (ulong*)Unsafe.AsPointer(ref _x[0]);

    public ulong this[int index]
    {
        get => (uint)index < RegisterCount ? _x[index] : throw new ArgumentOutOfRangeException(nameof(index));
        set
        {
            if ((uint)index >= RegisterCount) throw new ArgumentOutOfRangeException(nameof(index));
            if (index != 0) _x[index] = value;
        }
    }
}

/// <summary>Why the interpreter returned.</summary>
internal enum StopReason
{
    Budget,
    Ecall,
    Fault,
}
