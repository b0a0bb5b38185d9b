using FaultTolerant.Guest.Cpu;

namespace FaultTolerant.Guest.Memory;

/// <summary>One mapped 4 KiB guest page.</summary>
/// <remarks>
/// <see cref="Data"/> stays null until the first write: a mapped but untouched page reads as zeros and
/// costs no host memory, which keeps a guest that maps a large heap but touches little of it small.
/// A page holds either a decoded-instruction cache or a place in the write TLB, never both (see
/// <see cref="GuestMemory"/>), which is how self-modifying code stays correct at no cost to stores.
/// </remarks>
internal sealed class Page(PagePermissions permissions)
{
    public const int Size = 4096;
    public const int Shift = 12;
    public const ulong OffsetMask = Size - 1;

    public byte[]? Data;
    public PagePermissions Permissions = permissions;
    public bool Dirty;
    public Instruction[]? Decoded;

    public byte[] Materialize() => Data ??= new byte[Size];

    public bool IsZero => Data is null || !Data.AsSpan().ContainsAnyExcept((byte)0);
}
