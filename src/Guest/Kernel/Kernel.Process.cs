using System.Text;

namespace FaultTolerant.Guest.Kernel;

/// <summary>uname and getrandom.</summary>
internal sealed partial class LinuxKernel
{
    private const int UtsField = 65;
    private const uint GrndNonblock = 1, GrndRandom = 2, GrndInsecure = 4;

    private long Uname(ulong address)
    {
        var uts = new byte[UtsField * 6];
        string[] fields = ["Linux", Limits.Hostname, "6.1.0-faulttolerant", "#1 FaultTolerant guest kernel", "riscv64", "(none)"];
        for (int i = 0; i < fields.Length; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(fields[i]);
            bytes.AsSpan(0, Math.Min(bytes.Length, UtsField - 1)).CopyTo(uts.AsSpan(i * UtsField));
        }
        return _memory.TryWrite(address, uts) ? 0 : -Errno.EFAULT;
    }

    private long Getrandom(ulong buffer, ulong length)
    {
        uint flags = (uint)Arg(2);
        if ((flags & ~(GrndNonblock | GrndRandom | GrndInsecure)) != 0) return -Errno.EINVAL;
        int n = (int)Math.Min(length, 1 << 25);
        var bytes = new byte[n];
        Random.Fill(bytes);
        return _memory.TryWrite(buffer, bytes) ? n : -Errno.EFAULT;
    }
}
