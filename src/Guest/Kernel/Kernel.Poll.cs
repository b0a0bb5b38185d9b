using System.Buffers.Binary;

namespace FaultTolerant.Guest.Kernel;

/// <summary>ppoll: the one readiness syscall, so event loops like miniredis's work.</summary>
internal sealed partial class LinuxKernel
{
    private const int PollFdSize = 8;

    private long Ppoll(ulong fdsAddress, ulong count, ulong timeoutAddress)
    {
        if (count > MaxFds) return -Errno.EINVAL;
        var fds = new byte[(int)count * PollFdSize];
        if (!_memory.TryRead(fdsAddress, fds)) return -Errno.EFAULT;
        long? timeout = null;
        if (timeoutAddress != 0)
        {
            long r = ReadTimespec(timeoutAddress, out var t);
            if (r != 0) return r;
            timeout = t;
        }

        int ready = 0;
        for (int i = 0; i < (int)count; i++)
        {
            var entry = fds.AsSpan(i * PollFdSize, PollFdSize);
            int fd = BinaryPrimitives.ReadInt32LittleEndian(entry);
            var requested = (PollEvents)BinaryPrimitives.ReadInt16LittleEndian(entry[4..]);
            PollEvents revents = PollEvents.None;
            if (fd >= 0)
            {
                var file = FileOf(fd);
                // Errors and hang-ups are reported whether asked for or not, as in Linux.
                revents = file is null ? PollEvents.Nval : file.Poll() & (requested | PollEvents.Err | PollEvents.Hup);
            }
            BinaryPrimitives.WriteInt16LittleEndian(entry[6..], (short)revents);
            if (revents != PollEvents.None) ready++;
        }

        if (ready == 0 && timeout != 0)
        {
            if (timeout is null) return BlockOn("ppoll");
            long deadline = DeadlineAfter(timeout.Value);
            if (!Clock.SkipTo(deadline) && Clock.Monotonic < deadline) return BlockOn("ppoll", deadline);
        }
        if (!_memory.TryWrite(fdsAddress, fds)) return -Errno.EFAULT;
        return ready;
    }
}
