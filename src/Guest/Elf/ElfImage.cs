using FaultTolerant.Guest.Memory;

namespace FaultTolerant.Guest.Elf;

/// <summary>A validated static RV64 executable: where its segments go and how the process starts.</summary>
public sealed record ElfImage(
    ulong Entry,
    ulong ProgramHeaderAddress,
    int ProgramHeaderCount,
    IReadOnlyList<ElfSegment> Segments)
{
    /// <summary>The first address above every loaded segment; brk starts at the page above it.</summary>
    public ulong End => Segments.Max(s => s.VirtualAddress + s.MemorySize);
}

/// <summary>One PT_LOAD segment.</summary>
public sealed record ElfSegment(ulong VirtualAddress, ulong MemorySize, ulong FileOffset, ulong FileSize, PagePermissions Permissions);
