namespace FaultTolerant.Guest.Cpu;

/// <summary>RV64I: branches, loads, stores, and the integer register-immediate and register-register groups.</summary>
internal static partial class Decoder
{
    private static Instruction DecodeBranch(uint w)
    {
        var op = Funct3(w) switch
        {
            0 => Op.Beq,
            1 => Op.Bne,
            4 => Op.Blt,
            5 => Op.Bge,
            6 => Op.Bltu,
            7 => Op.Bgeu,
            _ => Op.Illegal,
        };
        return new Instruction { Op = op, Rs1 = Rs1(w), Rs2 = Rs2(w), Imm = ImmB(w) };
    }

    private static Instruction DecodeLoad(uint w)
    {
        var op = Funct3(w) switch
        {
            0 => Op.Lb,
            1 => Op.Lh,
            2 => Op.Lw,
            3 => Op.Ld,
            4 => Op.Lbu,
            5 => Op.Lhu,
            6 => Op.Lwu,
            _ => Op.Illegal,
        };
        return I(op, w);
    }

    private static Instruction DecodeStore(uint w)
    {
        var op = Funct3(w) switch
        {
            0 => Op.Sb,
            1 => Op.Sh,
            2 => Op.Sw,
            3 => Op.Sd,
            _ => Op.Illegal,
        };
        return new Instruction { Op = op, Rs1 = Rs1(w), Rs2 = Rs2(w), Imm = ImmS(w) };
    }

    private static Instruction DecodeOpImm(uint w)
    {
        uint funct6 = w >> 26;
        switch (Funct3(w))
        {
            case 0: return I(Op.Addi, w);
            case 2: return I(Op.Slti, w);
            case 3: return I(Op.Sltiu, w);
            case 4: return I(Op.Xori, w);
            case 6: return I(Op.Ori, w);
            case 7: return I(Op.Andi, w);
            case 1 when funct6 == 0: return Shift(Op.Slli, w, 63);
            case 5 when funct6 == 0: return Shift(Op.Srli, w, 63);
            case 5 when funct6 == 0x10: return Shift(Op.Srai, w, 63);
            default: return default;
        }
    }

    private static Instruction DecodeOpImm32(uint w)
    {
        uint f7 = Funct7(w);
        return Funct3(w) switch
        {
            0 => I(Op.Addiw, w),
            1 when f7 == 0 => Shift(Op.Slliw, w, 31),
            5 when f7 == 0 => Shift(Op.Srliw, w, 31),
            5 when f7 == 0x20 => Shift(Op.Sraiw, w, 31),
            _ => default,
        };
    }

    private static Instruction Shift(Op op, uint w, int mask) =>
        new() { Op = op, Rd = Rd(w), Rs1 = Rs1(w), Imm = (int)(w >> 20) & mask };

    private static Instruction DecodeOp(uint w)
    {
        var op = (Funct7(w), Funct3(w)) switch
        {
            (0, 0) => Op.Add,
            (0x20, 0) => Op.Sub,
            (0, 1) => Op.Sll,
            (0, 2) => Op.Slt,
            (0, 3) => Op.Sltu,
            (0, 4) => Op.Xor,
            (0, 5) => Op.Srl,
            (0x20, 5) => Op.Sra,
            (0, 6) => Op.Or,
            (0, 7) => Op.And,
            (1, var f3) => MulDiv64(f3),
            _ => Op.Illegal,
        };
        return R(op, w);
    }

    private static Instruction DecodeOp32(uint w)
    {
        var op = (Funct7(w), Funct3(w)) switch
        {
            (0, 0) => Op.Addw,
            (0x20, 0) => Op.Subw,
            (0, 1) => Op.Sllw,
            (0, 5) => Op.Srlw,
            (0x20, 5) => Op.Sraw,
            (1, var f3) => MulDiv32(f3),
            _ => Op.Illegal,
        };
        return R(op, w);
    }
}
