using System.Runtime.InteropServices;

namespace FaultTolerant.Guest.Cpu;

/// <summary>One decoded instruction: 8 bytes, so a page of 1024 decodes to 8 KiB.</summary>
/// <remarks>
/// A destination of x0 is decoded as <see cref="Decoder.SinkRegister"/> (x32, never read), so the
/// interpreter writes results unconditionally and x0 stays zero without a check per instruction.
/// For an illegal instruction, <see cref="Imm"/> holds the raw instruction bits.
/// </remarks>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct Instruction
{
    public Op Op;
    public byte Rd;
    public byte Rs1;
    public byte Rs2;
    public int Imm;
}
