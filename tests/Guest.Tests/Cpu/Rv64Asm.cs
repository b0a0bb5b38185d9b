namespace FaultTolerant.Guest.Tests.Cpu;

/// <summary>
/// A minimal RV64IM encoder for tests, written from the base ISA's instruction formats.
/// Operand order follows assembly syntax: <c>Add(rd, rs1, rs2)</c>, <c>Ld(rd, rs1, offset)</c> for
/// <c>ld rd, offset(rs1)</c>, <c>Sd(rs2, rs1, offset)</c> for <c>sd rs2, offset(rs1)</c>, <c>Beq(rs1, rs2, offset)</c>.
/// Immediates are range-checked, so a test cannot silently encode something other than it meant.
/// </summary>
internal static class Rv64Asm
{
    // Major opcodes (bits 6:0).
    public const uint OpcodeLoad = 0x03;
    public const uint OpcodeMiscMem = 0x0f;
    public const uint OpcodeOpImm = 0x13;
    public const uint OpcodeAuipc = 0x17;
    public const uint OpcodeOpImm32 = 0x1b;
    public const uint OpcodeStore = 0x23;
    public const uint OpcodeOp = 0x33;
    public const uint OpcodeLui = 0x37;
    public const uint OpcodeOp32 = 0x3b;
    public const uint OpcodeBranch = 0x63;
    public const uint OpcodeJalr = 0x67;
    public const uint OpcodeJal = 0x6f;
    public const uint OpcodeSystem = 0x73;

    public const int CsrCycle = 0xC00;
    public const int CsrTime = 0xC01;
    public const int CsrInstret = 0xC02;

    // ---- Formats -------------------------------------------------------------------------------

    public static uint RType(uint opcode, uint funct3, uint funct7, int rd, int rs1, int rs2) =>
        (funct7 << 25) | (Reg(rs2) << 20) | (Reg(rs1) << 15) | (funct3 << 12) | (Reg(rd) << 7) | opcode;

    public static uint IType(uint opcode, uint funct3, int rd, int rs1, int imm)
    {
        CheckSigned(imm, 12, nameof(imm));
        return ((uint)imm << 20) | (Reg(rs1) << 15) | (funct3 << 12) | (Reg(rd) << 7) | opcode;
    }

    public static uint SType(uint opcode, uint funct3, int rs1, int rs2, int imm)
    {
        CheckSigned(imm, 12, nameof(imm));
        uint u = (uint)imm;
        return (((u >> 5) & 0x7f) << 25) | (Reg(rs2) << 20) | (Reg(rs1) << 15) | (funct3 << 12) | ((u & 0x1f) << 7) | opcode;
    }

    public static uint BType(uint opcode, uint funct3, int rs1, int rs2, int offset)
    {
        CheckSigned(offset, 13, nameof(offset));
        if ((offset & 1) != 0) throw new ArgumentOutOfRangeException(nameof(offset), "branch offsets are multiples of 2");
        uint u = (uint)offset;
        return (((u >> 12) & 1) << 31) | (((u >> 5) & 0x3f) << 25) | (Reg(rs2) << 20) | (Reg(rs1) << 15)
             | (funct3 << 12) | (((u >> 1) & 0xf) << 8) | (((u >> 11) & 1) << 7) | opcode;
    }

    /// <param name="imm20">The value of bits 31:12 (0..0xFFFFF, or −0x80000..−1 for the same bit patterns).</param>
    public static uint UType(uint opcode, int rd, int imm20)
    {
        if (imm20 < -0x80000 || imm20 > 0xFFFFF) throw new ArgumentOutOfRangeException(nameof(imm20));
        return (((uint)imm20 & 0xFFFFF) << 12) | (Reg(rd) << 7) | opcode;
    }

    public static uint JType(uint opcode, int rd, int offset)
    {
        CheckSigned(offset, 21, nameof(offset));
        if ((offset & 1) != 0) throw new ArgumentOutOfRangeException(nameof(offset), "jump offsets are multiples of 2");
        uint u = (uint)offset;
        return (((u >> 20) & 1) << 31) | (((u >> 1) & 0x3ff) << 21) | (((u >> 11) & 1) << 20)
             | (((u >> 12) & 0xff) << 12) | (Reg(rd) << 7) | opcode;
    }

    // ---- RV64I: upper immediates and jumps -----------------------------------------------------

    public static uint Lui(int rd, int imm20) => UType(OpcodeLui, rd, imm20);

    public static uint Auipc(int rd, int imm20) => UType(OpcodeAuipc, rd, imm20);

    public static uint Jal(int rd, int offset) => JType(OpcodeJal, rd, offset);

    public static uint Jalr(int rd, int rs1, int offset) => IType(OpcodeJalr, 0, rd, rs1, offset);

    // ---- Branches ------------------------------------------------------------------------------

    public static uint Beq(int rs1, int rs2, int offset) => BType(OpcodeBranch, 0, rs1, rs2, offset);

    public static uint Bne(int rs1, int rs2, int offset) => BType(OpcodeBranch, 1, rs1, rs2, offset);

    public static uint Blt(int rs1, int rs2, int offset) => BType(OpcodeBranch, 4, rs1, rs2, offset);

    public static uint Bge(int rs1, int rs2, int offset) => BType(OpcodeBranch, 5, rs1, rs2, offset);

    public static uint Bltu(int rs1, int rs2, int offset) => BType(OpcodeBranch, 6, rs1, rs2, offset);

    public static uint Bgeu(int rs1, int rs2, int offset) => BType(OpcodeBranch, 7, rs1, rs2, offset);

    // ---- Loads and stores ----------------------------------------------------------------------

    public static uint Lb(int rd, int rs1, int offset) => IType(OpcodeLoad, 0, rd, rs1, offset);

    public static uint Lh(int rd, int rs1, int offset) => IType(OpcodeLoad, 1, rd, rs1, offset);

    public static uint Lw(int rd, int rs1, int offset) => IType(OpcodeLoad, 2, rd, rs1, offset);

    public static uint Ld(int rd, int rs1, int offset) => IType(OpcodeLoad, 3, rd, rs1, offset);

    public static uint Lbu(int rd, int rs1, int offset) => IType(OpcodeLoad, 4, rd, rs1, offset);

    public static uint Lhu(int rd, int rs1, int offset) => IType(OpcodeLoad, 5, rd, rs1, offset);

    public static uint Lwu(int rd, int rs1, int offset) => IType(OpcodeLoad, 6, rd, rs1, offset);

    public static uint Sb(int rs2, int rs1, int offset) => SType(OpcodeStore, 0, rs1, rs2, offset);

    public static uint Sh(int rs2, int rs1, int offset) => SType(OpcodeStore, 1, rs1, rs2, offset);

    public static uint Sw(int rs2, int rs1, int offset) => SType(OpcodeStore, 2, rs1, rs2, offset);

    public static uint Sd(int rs2, int rs1, int offset) => SType(OpcodeStore, 3, rs1, rs2, offset);

    // ---- Register-immediate --------------------------------------------------------------------

    public static uint Addi(int rd, int rs1, int imm) => IType(OpcodeOpImm, 0, rd, rs1, imm);

    public static uint Slti(int rd, int rs1, int imm) => IType(OpcodeOpImm, 2, rd, rs1, imm);

    public static uint Sltiu(int rd, int rs1, int imm) => IType(OpcodeOpImm, 3, rd, rs1, imm);

    public static uint Xori(int rd, int rs1, int imm) => IType(OpcodeOpImm, 4, rd, rs1, imm);

    public static uint Ori(int rd, int rs1, int imm) => IType(OpcodeOpImm, 6, rd, rs1, imm);

    public static uint Andi(int rd, int rs1, int imm) => IType(OpcodeOpImm, 7, rd, rs1, imm);

    public static uint Slli(int rd, int rs1, int shamt) => Shift64(1, 0x00, rd, rs1, shamt);

    public static uint Srli(int rd, int rs1, int shamt) => Shift64(5, 0x00, rd, rs1, shamt);

    public static uint Srai(int rd, int rs1, int shamt) => Shift64(5, 0x10, rd, rs1, shamt);

    public static uint Addiw(int rd, int rs1, int imm) => IType(OpcodeOpImm32, 0, rd, rs1, imm);

    public static uint Slliw(int rd, int rs1, int shamt) => Shift32(1, 0x00, rd, rs1, shamt);

    public static uint Srliw(int rd, int rs1, int shamt) => Shift32(5, 0x00, rd, rs1, shamt);

    public static uint Sraiw(int rd, int rs1, int shamt) => Shift32(5, 0x20, rd, rs1, shamt);

    // ---- Register-register ---------------------------------------------------------------------

    public static uint Add(int rd, int rs1, int rs2) => RType(OpcodeOp, 0, 0x00, rd, rs1, rs2);

    public static uint Sub(int rd, int rs1, int rs2) => RType(OpcodeOp, 0, 0x20, rd, rs1, rs2);

    public static uint Sll(int rd, int rs1, int rs2) => RType(OpcodeOp, 1, 0x00, rd, rs1, rs2);

    public static uint Slt(int rd, int rs1, int rs2) => RType(OpcodeOp, 2, 0x00, rd, rs1, rs2);

    public static uint Sltu(int rd, int rs1, int rs2) => RType(OpcodeOp, 3, 0x00, rd, rs1, rs2);

    public static uint Xor(int rd, int rs1, int rs2) => RType(OpcodeOp, 4, 0x00, rd, rs1, rs2);

    public static uint Srl(int rd, int rs1, int rs2) => RType(OpcodeOp, 5, 0x00, rd, rs1, rs2);

    public static uint Sra(int rd, int rs1, int rs2) => RType(OpcodeOp, 5, 0x20, rd, rs1, rs2);

    public static uint Or(int rd, int rs1, int rs2) => RType(OpcodeOp, 6, 0x00, rd, rs1, rs2);

    public static uint And(int rd, int rs1, int rs2) => RType(OpcodeOp, 7, 0x00, rd, rs1, rs2);

    public static uint Addw(int rd, int rs1, int rs2) => RType(OpcodeOp32, 0, 0x00, rd, rs1, rs2);

    public static uint Subw(int rd, int rs1, int rs2) => RType(OpcodeOp32, 0, 0x20, rd, rs1, rs2);

    public static uint Sllw(int rd, int rs1, int rs2) => RType(OpcodeOp32, 1, 0x00, rd, rs1, rs2);

    public static uint Srlw(int rd, int rs1, int rs2) => RType(OpcodeOp32, 5, 0x00, rd, rs1, rs2);

    public static uint Sraw(int rd, int rs1, int rs2) => RType(OpcodeOp32, 5, 0x20, rd, rs1, rs2);

    // ---- RV64M ---------------------------------------------------------------------------------

    public static uint Mul(int rd, int rs1, int rs2) => RType(OpcodeOp, 0, 0x01, rd, rs1, rs2);

    public static uint Mulh(int rd, int rs1, int rs2) => RType(OpcodeOp, 1, 0x01, rd, rs1, rs2);

    public static uint Mulhsu(int rd, int rs1, int rs2) => RType(OpcodeOp, 2, 0x01, rd, rs1, rs2);

    public static uint Mulhu(int rd, int rs1, int rs2) => RType(OpcodeOp, 3, 0x01, rd, rs1, rs2);

    public static uint Div(int rd, int rs1, int rs2) => RType(OpcodeOp, 4, 0x01, rd, rs1, rs2);

    public static uint Divu(int rd, int rs1, int rs2) => RType(OpcodeOp, 5, 0x01, rd, rs1, rs2);

    public static uint Rem(int rd, int rs1, int rs2) => RType(OpcodeOp, 6, 0x01, rd, rs1, rs2);

    public static uint Remu(int rd, int rs1, int rs2) => RType(OpcodeOp, 7, 0x01, rd, rs1, rs2);

    public static uint Mulw(int rd, int rs1, int rs2) => RType(OpcodeOp32, 0, 0x01, rd, rs1, rs2);

    public static uint Divw(int rd, int rs1, int rs2) => RType(OpcodeOp32, 4, 0x01, rd, rs1, rs2);

    public static uint Divuw(int rd, int rs1, int rs2) => RType(OpcodeOp32, 5, 0x01, rd, rs1, rs2);

    public static uint Remw(int rd, int rs1, int rs2) => RType(OpcodeOp32, 6, 0x01, rd, rs1, rs2);

    public static uint Remuw(int rd, int rs1, int rs2) => RType(OpcodeOp32, 7, 0x01, rd, rs1, rs2);

    // ---- Fences, system, counters --------------------------------------------------------------

    /// <summary><c>fence pred, succ</c>; each set is 4 bits i,o,r,w. The default is <c>fence iorw, iorw</c>.</summary>
    public static uint Fence(int pred = 0xf, int succ = 0xf) =>
        ((uint)(pred & 0xf) << 24) | ((uint)(succ & 0xf) << 20) | OpcodeMiscMem;

    public static uint FenceI() => (1u << 12) | OpcodeMiscMem;

    public static uint Ecall() => OpcodeSystem;

    public static uint Ebreak() => (1u << 20) | OpcodeSystem;

    public static uint Csrrw(int rd, int csr, int rs1) => Csr(1, rd, csr, rs1);

    public static uint Csrrs(int rd, int csr, int rs1) => Csr(2, rd, csr, rs1);

    public static uint Csrrc(int rd, int csr, int rs1) => Csr(3, rd, csr, rs1);

    public static uint Csrrwi(int rd, int csr, int uimm) => Csr(5, rd, csr, uimm);

    public static uint Csrrsi(int rd, int csr, int uimm) => Csr(6, rd, csr, uimm);

    public static uint Csrrci(int rd, int csr, int uimm) => Csr(7, rd, csr, uimm);

    public static uint Rdcycle(int rd) => Csrrs(rd, CsrCycle, 0);

    public static uint Rdtime(int rd) => Csrrs(rd, CsrTime, 0);

    public static uint Rdinstret(int rd) => Csrrs(rd, CsrInstret, 0);

    // ---- Pseudo-instructions and raw words -----------------------------------------------------

    public static uint Nop() => Addi(0, 0, 0);

    public static uint Mv(int rd, int rs) => Addi(rd, rs, 0);

    public static uint Ret() => Jalr(0, 1, 0);

    public static uint Word(uint word) => word;

    /// <summary><c>li rd, value</c> for a 32-bit signed value: <c>lui</c> + <c>addiw</c> (or a lone <c>addi</c>).</summary>
    public static uint[] Li(int rd, int value)
    {
        if (value >= -2048 && value <= 2047) return [Addi(rd, 0, value)];
        int lo = (value << 20) >> 20;                  // low 12 bits, sign-extended
        int hi = (int)(((uint)value - (uint)lo) >> 12); // upper 20 bits compensating for lo's sign
        return lo == 0 ? [Lui(rd, hi)] : [Lui(rd, hi), Addiw(rd, rd, lo)];
    }

    private static uint Shift64(uint funct3, uint funct6, int rd, int rs1, int shamt)
    {
        if (shamt is < 0 or > 63) throw new ArgumentOutOfRangeException(nameof(shamt));
        return (funct6 << 26) | ((uint)shamt << 20) | (Reg(rs1) << 15) | (funct3 << 12) | (Reg(rd) << 7) | OpcodeOpImm;
    }

    private static uint Shift32(uint funct3, uint funct7, int rd, int rs1, int shamt)
    {
        if (shamt is < 0 or > 31) throw new ArgumentOutOfRangeException(nameof(shamt));
        return (funct7 << 25) | ((uint)shamt << 20) | (Reg(rs1) << 15) | (funct3 << 12) | (Reg(rd) << 7) | OpcodeOpImm32;
    }

    private static uint Csr(uint funct3, int rd, int csr, int rs1OrUimm)
    {
        if (csr is < 0 or > 0xfff) throw new ArgumentOutOfRangeException(nameof(csr));
        return ((uint)csr << 20) | (Reg(rs1OrUimm) << 15) | (funct3 << 12) | (Reg(rd) << 7) | OpcodeSystem;
    }

    private static uint Reg(int r) =>
        r is >= 0 and < 32 ? (uint)r : throw new ArgumentOutOfRangeException(nameof(r), $"x{r} is not a register");

    private static void CheckSigned(int value, int bits, string name)
    {
        int min = -(1 << (bits - 1));
        int max = (1 << (bits - 1)) - 1;
        if (value < min || value > max) throw new ArgumentOutOfRangeException(name, $"{value} does not fit in {bits} signed bits");
    }
}
