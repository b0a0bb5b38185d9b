using System.Buffers.Binary;

namespace FaultTolerant.Cluster.Tests.Support;

/// <summary>A one-segment static RV64 executable around a few instruction words: for guests that must misbehave.</summary>
public static class TinyElf
{
    private const ulong Base = 0x10000;

    public static byte[] Build(params uint[] code)
    {
        const int headers = 64 + 56;
        var file = new byte[headers + code.Length * 4];
        var h = file.AsSpan();
        h[0] = 0x7f;
        "ELF"u8.CopyTo(h[1..]);
        h[4] = 2; // 64-bit
        h[5] = 1; // little-endian
        h[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(h[16..], 2);   // ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(h[18..], 243); // EM_RISCV
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], Base + headers); // entry
        BinaryPrimitives.WriteUInt64LittleEndian(h[32..], 64);  // phoff
        BinaryPrimitives.WriteUInt16LittleEndian(h[52..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(h[54..], 56);
        BinaryPrimitives.WriteUInt16LittleEndian(h[56..], 1);
        var ph = h[64..];
        BinaryPrimitives.WriteUInt32LittleEndian(ph, 1);        // PT_LOAD
        BinaryPrimitives.WriteUInt32LittleEndian(ph[4..], 5);   // R+X
        BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], Base);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], (ulong)file.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], (ulong)file.Length);
        for (int i = 0; i < code.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(h[(headers + i * 4)..], code[i]);
        return file;
    }

    public static string Write(params uint[] code)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("ft-elf-").FullName, "tiny.elf");
        File.WriteAllBytes(path, Build(code));
        return path;
    }
}
