using System.Buffers.Binary;
using System.Text;
using FaultTolerant.Guest.Memory;

namespace FaultTolerant.Guest.Elf;

/// <summary>Builds the Linux initial process stack: argc, argv, envp, the auxiliary vector, and what they point to.</summary>
internal static class InitialStack
{
    /// <summary>The stack's top, a guard page below the end of the Sv39 user half.</summary>
    public const ulong Top = ElfLoader.UserTop - 0x1000;

    public const ulong Size = 8 << 20;

    private const ulong AtNull = 0, AtPhdr = 3, AtPhent = 4, AtPhnum = 5, AtPagesz = 6, AtBase = 7, AtFlags = 8, AtEntry = 9,
        AtUid = 11, AtEuid = 12, AtGid = 13, AtEgid = 14, AtHwcap = 16, AtClktck = 17, AtSecure = 23, AtRandom = 25, AtExecfn = 31;

    /// <summary>ISA letters as AT_HWCAP reports them: one bit per extension letter, I and M here.</summary>
    private const ulong HwcapRv64im = (1UL << ('I' - 'A')) | (1UL << ('M' - 'A'));

    /// <returns>The initial stack pointer.</returns>
    public static ulong Build(GuestMemory memory, ElfImage image, IReadOnlyList<string> args, IReadOnlyList<string> env, ReadOnlySpan<byte> random16)
    {
        if (!memory.Map((Top - Size) >> Page.Shift, Size >> Page.Shift, PagePermissions.ReadWrite))
        {
            throw new InvalidElfException("the guest memory limit leaves no room for the 8 MiB stack");
        }
        ulong sp = Top;
        ulong Push(ReadOnlySpan<byte> bytes)
        {
            sp -= (ulong)bytes.Length;
            if (Top - sp > Size / 2) throw new ArgumentException("arguments and environment exceed half the stack");
            memory.TryWritePrivileged(sp, bytes);
            return sp;
        }
        ulong PushString(string s) => Push(Encoding.UTF8.GetBytes(s + "\0"));

        var envPointers = env.Reverse().Select(PushString).Reverse().ToList();
        var argPointers = args.Reverse().Select(PushString).Reverse().ToList();
        ulong randomAddress = Push(random16);
        sp &= ~15UL;

        var auxv = new (ulong Key, ulong Value)[]
        {
            (AtPhdr, image.ProgramHeaderAddress), (AtPhent, 56), (AtPhnum, (ulong)image.ProgramHeaderCount), (AtPagesz, Page.Size),
            (AtBase, 0), (AtFlags, 0), (AtEntry, image.Entry), (AtUid, 0), (AtEuid, 0), (AtGid, 0), (AtEgid, 0),
            (AtHwcap, HwcapRv64im), (AtClktck, 100), (AtSecure, 0), (AtRandom, randomAddress),
            (AtExecfn, argPointers.Count > 0 ? argPointers[0] : 0), (AtNull, 0),
        };
        var words = new List<ulong> { (ulong)args.Count };
        words.AddRange(argPointers);
        words.Add(0);
        words.AddRange(envPointers);
        words.Add(0);
        foreach (var (k, v) in auxv)
        {
            words.Add(k);
            words.Add(v);
        }
        if (words.Count % 2 == 1) sp -= 8; // sp must be 16-byte aligned where argc sits
        var block = new byte[words.Count * 8];
        for (int i = 0; i < words.Count; i++) BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan(i * 8), words[i]);
        return Push(block);
    }
}
