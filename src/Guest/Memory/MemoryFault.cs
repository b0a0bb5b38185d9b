namespace FaultTolerant.Guest.Memory;

/// <summary>Why an access failed, with RISC-V exception cause numbers (the values mcause would hold).</summary>
public enum FaultCause
{
    InstructionAddressMisaligned = 0,
    InstructionAccessFault = 1,
    IllegalInstruction = 2,
    Breakpoint = 3,
    LoadAccessFault = 5,
    StoreAccessFault = 7,
    InstructionPageFault = 12,
    LoadPageFault = 13,
    StorePageFault = 15,

    /// <summary>Not an architectural cause: the emulator itself failed while serving the guest (a bug, contained to this guest).</summary>
    EmulatorError = 1000,
}
