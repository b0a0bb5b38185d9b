namespace FaultTolerant.Guest.Cpu;

/// <summary>RV64M: multiply and divide, funct7 = 1 in the OP and OP-32 groups.</summary>
internal static partial class Decoder
{
    private static Op MulDiv64(uint funct3) => funct3 switch
    {
        0 => Op.Mul,
        1 => Op.Mulh,
        2 => Op.Mulhsu,
        3 => Op.Mulhu,
        4 => Op.Div,
        5 => Op.Divu,
        6 => Op.Rem,
        _ => Op.Remu,
    };

    private static Op MulDiv32(uint funct3) => funct3 switch
    {
        0 => Op.Mulw,
        4 => Op.Divw,
        5 => Op.Divuw,
        6 => Op.Remw,
        7 => Op.Remuw,
        _ => Op.Illegal,
    };
}
