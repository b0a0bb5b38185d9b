using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FaultTolerant.Guest.Memory;

namespace FaultTolerant.Guest.Cpu;

/// <summary>
/// Executes pre-decoded RV64IM instructions until the budget is spent, an ecall needs the kernel, or a fault.
/// </summary>
/// <remarks>
/// The hot loop keeps pc, the instruction count and the current page's decoded array in locals; it
/// touches the page table only when pc leaves the page. Memory accesses go through the TLB fast paths of
/// <see cref="GuestMemory"/>; a false return is either a fault or (for stores) a write into decoded code,
/// and only then does the loop look further.
/// </remarks>
internal static unsafe class Interpreter
{
    public static StopReason Run(Hart hart, GuestMemory mem, long limit, out FaultCause cause, out ulong faultAddress)
    {
        ulong* x = hart.Registers;
        ulong pc = hart.Pc;
        long n = hart.InstructionsRetired;
        ulong curVpn = ulong.MaxValue;
        Instruction[] page = [];
        StopReason stop;
        cause = default;
        faultAddress = 0;

        while (true)
        {
            if (n >= limit)
            {
                stop = StopReason.Budget;
                break;
            }
            ulong vpn = pc >> Page.Shift;
            if (vpn != curVpn)
            {
                var fetched = mem.FetchDecoded(vpn);
                if (fetched is null)
                {
                    stop = StopReason.Fault;
                    cause = mem.LastFaultCause;
                    faultAddress = pc;
                    break;
                }
                page = fetched;
                curVpn = vpn;
            }
            Instruction d = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(page), (int)(((uint)pc & 0xfff) >> 2));
            ulong next = pc + 4;
            ulong imm = (ulong)(long)d.Imm;
            switch (d.Op)
            {
                case Op.Lui: x[d.Rd] = imm; break;
                case Op.Auipc: x[d.Rd] = pc + imm; break;
                case Op.Jal:
                    next = pc + imm;
                    if ((next & 3) != 0) goto Misaligned;
                    x[d.Rd] = pc + 4;
                    break;
                case Op.Jalr:
                    next = (x[d.Rs1] + imm) & ~1UL;
                    if ((next & 3) != 0) goto Misaligned;
                    x[d.Rd] = pc + 4;
                    break;
                case Op.Beq: if (x[d.Rs1] == x[d.Rs2]) next = pc + imm; goto CheckTarget;
                case Op.Bne: if (x[d.Rs1] != x[d.Rs2]) next = pc + imm; goto CheckTarget;
                case Op.Blt: if ((long)x[d.Rs1] < (long)x[d.Rs2]) next = pc + imm; goto CheckTarget;
                case Op.Bge: if ((long)x[d.Rs1] >= (long)x[d.Rs2]) next = pc + imm; goto CheckTarget;
                case Op.Bltu: if (x[d.Rs1] < x[d.Rs2]) next = pc + imm; goto CheckTarget;
                case Op.Bgeu: if (x[d.Rs1] >= x[d.Rs2]) next = pc + imm; goto CheckTarget;

                case Op.Lb: { if (!mem.TryLoad(x[d.Rs1] + imm, out byte v)) goto MemoryFault; x[d.Rd] = (ulong)(sbyte)v; break; }
                case Op.Lh: { if (!mem.TryLoad(x[d.Rs1] + imm, out ushort v)) goto MemoryFault; x[d.Rd] = (ulong)(short)v; break; }
                case Op.Lw: { if (!mem.TryLoad(x[d.Rs1] + imm, out uint v)) goto MemoryFault; x[d.Rd] = (ulong)(int)v; break; }
                case Op.Ld: { if (!mem.TryLoad(x[d.Rs1] + imm, out ulong v)) goto MemoryFault; x[d.Rd] = v; break; }
                case Op.Lbu: { if (!mem.TryLoad(x[d.Rs1] + imm, out byte v)) goto MemoryFault; x[d.Rd] = v; break; }
                case Op.Lhu: { if (!mem.TryLoad(x[d.Rs1] + imm, out ushort v)) goto MemoryFault; x[d.Rd] = v; break; }
                case Op.Lwu: { if (!mem.TryLoad(x[d.Rs1] + imm, out uint v)) goto MemoryFault; x[d.Rd] = v; break; }

                case Op.Sb: if (!mem.TryStore(x[d.Rs1] + imm, (byte)x[d.Rs2])) goto StoreMissed; break;
                case Op.Sh: if (!mem.TryStore(x[d.Rs1] + imm, (ushort)x[d.Rs2])) goto StoreMissed; break;
                case Op.Sw: if (!mem.TryStore(x[d.Rs1] + imm, (uint)x[d.Rs2])) goto StoreMissed; break;
                case Op.Sd: if (!mem.TryStore(x[d.Rs1] + imm, x[d.Rs2])) goto StoreMissed; break;

                case Op.Addi: x[d.Rd] = x[d.Rs1] + imm; break;
                case Op.Slti: x[d.Rd] = (long)x[d.Rs1] < (long)imm ? 1UL : 0UL; break;
                case Op.Sltiu: x[d.Rd] = x[d.Rs1] < imm ? 1UL : 0UL; break;
                case Op.Xori: x[d.Rd] = x[d.Rs1] ^ imm; break;
                case Op.Ori: x[d.Rd] = x[d.Rs1] | imm; break;
                case Op.Andi: x[d.Rd] = x[d.Rs1] & imm; break;
                case Op.Slli: x[d.Rd] = x[d.Rs1] << d.Imm; break;
                case Op.Srli: x[d.Rd] = x[d.Rs1] >> d.Imm; break;
                case Op.Srai: x[d.Rd] = (ulong)((long)x[d.Rs1] >> d.Imm); break;

                case Op.Add: x[d.Rd] = x[d.Rs1] + x[d.Rs2]; break;
                case Op.Sub: x[d.Rd] = x[d.Rs1] - x[d.Rs2]; break;
                case Op.Sll: x[d.Rd] = x[d.Rs1] << (int)(x[d.Rs2] & 63); break;
                case Op.Slt: x[d.Rd] = (long)x[d.Rs1] < (long)x[d.Rs2] ? 1UL : 0UL; break;
                case Op.Sltu: x[d.Rd] = x[d.Rs1] < x[d.Rs2] ? 1UL : 0UL; break;
                case Op.Xor: x[d.Rd] = x[d.Rs1] ^ x[d.Rs2]; break;
                case Op.Srl: x[d.Rd] = x[d.Rs1] >> (int)(x[d.Rs2] & 63); break;
                case Op.Sra: x[d.Rd] = (ulong)((long)x[d.Rs1] >> (int)(x[d.Rs2] & 63)); break;
                case Op.Or: x[d.Rd] = x[d.Rs1] | x[d.Rs2]; break;
                case Op.And: x[d.Rd] = x[d.Rs1] & x[d.Rs2]; break;

                case Op.Addiw: x[d.Rd] = SignExtend32((uint)x[d.Rs1] + (uint)d.Imm); break;
                case Op.Slliw: x[d.Rd] = SignExtend32((uint)x[d.Rs1] << d.Imm); break;
                case Op.Srliw: x[d.Rd] = SignExtend32((uint)x[d.Rs1] >> d.Imm); break;
                case Op.Sraiw: x[d.Rd] = (ulong)(long)((int)x[d.Rs1] >> d.Imm); break;
                case Op.Addw: x[d.Rd] = SignExtend32((uint)x[d.Rs1] + (uint)x[d.Rs2]); break;
                case Op.Subw: x[d.Rd] = SignExtend32((uint)x[d.Rs1] - (uint)x[d.Rs2]); break;
                case Op.Sllw: x[d.Rd] = SignExtend32((uint)x[d.Rs1] << (int)(x[d.Rs2] & 31)); break;
                case Op.Srlw: x[d.Rd] = SignExtend32((uint)x[d.Rs1] >> (int)(x[d.Rs2] & 31)); break;
                case Op.Sraw: x[d.Rd] = (ulong)(long)((int)x[d.Rs1] >> (int)(x[d.Rs2] & 31)); break;

                case Op.Mul: x[d.Rd] = x[d.Rs1] * x[d.Rs2]; break;
                case Op.Mulh: x[d.Rd] = (ulong)Math.BigMul((long)x[d.Rs1], (long)x[d.Rs2], out _); break;
                case Op.Mulhsu: x[d.Rd] = MulHighSignedUnsigned(x[d.Rs1], x[d.Rs2]); break;
                case Op.Mulhu: x[d.Rd] = Math.BigMul(x[d.Rs1], x[d.Rs2], out _); break;
                case Op.Div: x[d.Rd] = Div((long)x[d.Rs1], (long)x[d.Rs2]); break;
                case Op.Divu: x[d.Rd] = x[d.Rs2] == 0 ? ulong.MaxValue : x[d.Rs1] / x[d.Rs2]; break;
                case Op.Rem: x[d.Rd] = Rem((long)x[d.Rs1], (long)x[d.Rs2]); break;
                case Op.Remu: x[d.Rd] = x[d.Rs2] == 0 ? x[d.Rs1] : x[d.Rs1] % x[d.Rs2]; break;
                case Op.Mulw: x[d.Rd] = SignExtend32((uint)x[d.Rs1] * (uint)x[d.Rs2]); break;
                case Op.Divw: x[d.Rd] = DivW((int)x[d.Rs1], (int)x[d.Rs2]); break;
                case Op.Divuw: x[d.Rd] = (uint)x[d.Rs2] == 0 ? ulong.MaxValue : SignExtend32((uint)x[d.Rs1] / (uint)x[d.Rs2]); break;
                case Op.Remw: x[d.Rd] = RemW((int)x[d.Rs1], (int)x[d.Rs2]); break;
                case Op.Remuw: x[d.Rd] = (uint)x[d.Rs2] == 0 ? SignExtend32((uint)x[d.Rs1]) : SignExtend32((uint)x[d.Rs1] % (uint)x[d.Rs2]); break;

                case Op.Fence: break;
                case Op.FenceI: curVpn = ulong.MaxValue; break;
                case Op.ReadCounter: x[d.Rd] = (ulong)n; break;
                case Op.Ecall:
                    stop = StopReason.Ecall;
                    goto Exit;
                case Op.Ebreak:
                    cause = FaultCause.Breakpoint;
                    faultAddress = pc;
                    stop = StopReason.Fault;
                    goto Exit;
                default:
                    cause = FaultCause.IllegalInstruction;
                    faultAddress = (uint)d.Imm;
                    stop = StopReason.Fault;
                    goto Exit;
            }
            pc = next;
            n++;
            continue;

        CheckTarget:
            if ((next & 3) != 0) goto Misaligned;
            pc = next;
            n++;
            continue;

        StoreMissed:
            if (!mem.CodeInvalidated) goto MemoryFault;
            // The store went through but rewrote decoded code, possibly this very page: refetch.
            mem.CodeInvalidated = false;
            curVpn = ulong.MaxValue;
            pc = next;
            n++;
            continue;

        MemoryFault:
            cause = mem.LastFaultCause;
            faultAddress = mem.LastFaultAddress;
            stop = StopReason.Fault;
            break;

        Misaligned:
            cause = FaultCause.InstructionAddressMisaligned;
            faultAddress = next;
            stop = StopReason.Fault;
            break;
        }
    Exit:
        hart.Pc = pc;
        hart.InstructionsRetired = n;
        return stop;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SignExtend32(uint v) => (ulong)(long)(int)v;

    private static ulong MulHighSignedUnsigned(ulong a, ulong b)
    {
        ulong high = Math.BigMul(a, b, out _);
        return (long)a < 0 ? high - b : high;
    }

    // Division never traps in RISC-V: by zero gives all ones (quotient) or the dividend (remainder),
    // and the one overflow, MIN / -1, gives MIN and remainder 0.
    private static ulong Div(long a, long b) =>
        b == 0 ? ulong.MaxValue : (a == long.MinValue && b == -1) ? (ulong)a : (ulong)(a / b);

    private static ulong Rem(long a, long b) =>
        b == 0 ? (ulong)a : (a == long.MinValue && b == -1) ? 0 : (ulong)(a % b);

    private static ulong DivW(int a, int b) =>
        b == 0 ? ulong.MaxValue : (a == int.MinValue && b == -1) ? (ulong)(long)a : (ulong)(long)(a / b);

    private static ulong RemW(int a, int b) =>
        b == 0 ? (ulong)(long)a : (a == int.MinValue && b == -1) ? 0 : (ulong)(long)(a % b);
}
