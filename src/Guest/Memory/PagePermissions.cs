namespace FaultTolerant.Guest.Memory;

/// <summary>Access rights of one guest page, as PT_LOAD flags and mmap's prot describe them.</summary>
[Flags]
public enum PagePermissions : byte
{
    None = 0,
    Read = 1,
    Write = 2,
    Execute = 4,
    ReadWrite = Read | Write,
    ReadExecute = Read | Execute,
    All = Read | Write | Execute,
}
