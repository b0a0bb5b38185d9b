using System.Buffers.Binary;

namespace FaultTolerant.Guest.Cpu;

/// <summary>Decodes RV64IM instruction words. A page is decoded once, on its first execution.</summary>
internal static partial class Decoder
{
    public const byte SinkRegister = 32;
    public const int InstructionsPerPage = 4096 / 4;

    public static Instruction[] DecodePage(ReadOnlySpan<byte> page)
    {
        var decoded = new Instruction[InstructionsPerPage];
        for (int i = 0; i < decoded.Length; i++)
        {
            decoded[i] = Decode(BinaryPrimitives.ReadUInt32LittleEndian(page.Slice(i * 4, 4)));
        }
        return decoded;
    }

    public static Instruction Decode(uint word)
    {
        var d = (word & 0x7f) switch
        {
            0x37 => U(Op.Lui, word),
            0x17 => U(Op.Auipc, word),
            0x6f => new Instruction { Op = Op.Jal, Rd = Rd(word), Imm = ImmJ(word) },
            0x67 => Funct3(word) == 0 ? I(Op.Jalr, word) : default,
            0x63 => DecodeBranch(word),
            0x03 => DecodeLoad(word),
            0x23 => DecodeStore(word),
            0x13 => DecodeOpImm(word),
            0x1b => DecodeOpImm32(word),
            0x33 => DecodeOp(word),
            0x3b => DecodeOp32(word),
            0x0f => DecodeMiscMem(word),
            0x73 => DecodeSystem(word),
            _ => default,
        };
        if (d.Op == Op.Illegal) return new Instruction { Op = Op.Illegal, Imm = (int)word };
        if (d.Rd == 0) d.Rd = SinkRegister;
        return d;
    }

    private static Instruction DecodeMiscMem(uint word) => Funct3(word) switch
    {
        0 => new Instruction { Op = Op.Fence },
        1 => new Instruction { Op = Op.FenceI },
        _ => default,
    };

    private static Instruction DecodeSystem(uint word)
    {
        if (word == 0x00000073) return new Instruction { Op = Op.Ecall };
        if (word == 0x00100073) return new Instruction { Op = Op.Ebreak };
        // A CSR access that writes nothing (csrrs/csrrc with x0, csrrsi/csrrci with 0) of cycle (0xC00) or
        // instret (0xC02), as rdcycle and rdinstret assemble to. Every other CSR access is illegal in user mode here.
        uint csr = word >> 20;
        if (Funct3(word) is 2 or 3 or 6 or 7 && Rs1(word) == 0 && (csr == 0xC00 || csr == 0xC02))
        {
            return new Instruction { Op = Op.ReadCounter, Rd = Rd(word), Imm = (int)csr };
        }
        return default;
    }

    private static Instruction U(Op op, uint word) => new() { Op = op, Rd = Rd(word), Imm = (int)(word & 0xfffff000) };

    private static Instruction I(Op op, uint word) => new() { Op = op, Rd = Rd(word), Rs1 = Rs1(word), Imm = ImmI(word) };

    private static Instruction R(Op op, uint word) => new() { Op = op, Rd = Rd(word), Rs1 = Rs1(word), Rs2 = Rs2(word) };

    private static byte Rd(uint w) => (byte)((w >> 7) & 31);

    private static byte Rs1(uint w) => (byte)((w >> 15) & 31);

    private static byte Rs2(uint w) => (byte)((w >> 20) & 31);

    private static uint Funct3(uint w) => (w >> 12) & 7;

    private static uint Funct7(uint w) => w >> 25;

    private static int ImmI(uint w) => (int)w >> 20;

    private static int ImmS(uint w) => ((int)w >> 25 << 5) | (int)((w >> 7) & 31);

    private static int ImmB(uint w) =>
        ((int)w >> 31 << 12) | (int)((w << 4) & 0x800) | (int)((w >> 20) & 0x7e0) | (int)((w >> 7) & 0x1e);

    private static int ImmJ(uint w) =>
        ((int)w >> 31 << 20) | (int)(w & 0xff000) | (int)((w >> 9) & 0x800) | (int)((w >> 20) & 0x7fe);
}
