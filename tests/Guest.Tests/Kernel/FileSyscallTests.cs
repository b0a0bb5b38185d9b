using System.Text;

namespace FaultTolerant.Guest.Tests.Kernel;

public sealed class FileSyscallTests
{
    private readonly KernelHarness _k = new();

    private long Open(string path, long flags) => _k.Call(L.Openat, L.AtFdCwd, _k.Str(path, 2048), flags, 0x1a4);

    private long WriteText(long fd, string text) => _k.Call(L.Write, fd, _k.Bytes(Encoding.ASCII.GetBytes(text), 1024), text.Length);

    private string ReadText(long fd, int max)
    {
        long n = _k.Call(L.Read, fd, (long)KernelHarness.Scratch + 4096, max);
        Assert.True(n >= 0, $"read failed: {n}");
        return Encoding.ASCII.GetString(_k.Read((long)KernelHarness.Scratch + 4096, (int)n));
    }

    [Fact]
    public void Open_creates_writes_seeks_and_reads_a_file()
    {
        long fd = Open("/tmp/a.txt", L.OCreat | L.ORdwr);
        Assert.Equal(3, fd);
        Assert.Equal(11, WriteText(fd, "hello world"));
        Assert.Equal(6, _k.Call(L.Lseek, fd, 6, 0));
        Assert.Equal("world", ReadText(fd, 100));
        Assert.Equal("", ReadText(fd, 100));
        Assert.Equal(0, _k.Call(L.Close, fd));
        Assert.Equal(-L.EBADF, _k.Call(L.Close, fd));
    }

    [Fact]
    public void Open_reports_the_errors_linux_does()
    {
        Assert.Equal(-L.ENOENT, Open("/tmp/missing", L.ORdonly));
        Assert.Equal(-L.ENOENT, Open("/no/such/dir/file", L.OCreat | L.OWronly));
        Assert.True(Open("/tmp/x", L.OCreat | L.OWronly) >= 0);
        Assert.Equal(-L.EEXIST, Open("/tmp/x", L.OCreat | L.OExcl | L.OWronly));
        Assert.Equal(-L.ENOTDIR, Open("/tmp/x/y", L.ORdonly));
        Assert.Equal(-L.ENOTDIR, Open("/tmp/x", L.ODirectory));
        Assert.Equal(-L.EISDIR, Open("/tmp", L.OWronly));
        Assert.Equal(-L.ENAMETOOLONG, Open("/tmp/" + new string('n', 300), L.OCreat | L.OWronly));
        Assert.Equal(-L.EINVAL, Open("/tmp/x", 3));
        Assert.Equal(-L.EFAULT, _k.Call(L.Openat, L.AtFdCwd, (long)KernelHarness.Unmapped, 0));
    }

    [Fact]
    public void Access_modes_are_enforced_per_descriptor()
    {
        long w = Open("/tmp/f", L.OCreat | L.OWronly);
        long r = Open("/tmp/f", L.ORdonly);
        Assert.Equal(-L.EBADF, _k.Call(L.Read, w, (long)KernelHarness.Scratch, 4));
        Assert.Equal(-L.EBADF, WriteText(r, "no"));
    }

    [Fact]
    public void Append_writes_at_the_end_whatever_the_offset()
    {
        long fd = Open("/tmp/log", L.OCreat | L.ORdwr | L.OAppend);
        WriteText(fd, "one,");
        _k.Call(L.Lseek, fd, 0, 0);
        WriteText(fd, "two");
        _k.Call(L.Lseek, fd, 0, 0);
        Assert.Equal("one,two", ReadText(fd, 100));
    }

    [Fact]
    public void Truncate_on_open_empties_the_file_and_writing_past_the_end_leaves_a_zero_hole()
    {
        long fd = Open("/tmp/t", L.OCreat | L.ORdwr);
        WriteText(fd, "abcdef");
        _k.Call(L.Close, fd);
        fd = Open("/tmp/t", L.ORdwr | L.OTrunc);
        Assert.Equal(3, _k.Call(L.Lseek, fd, 3, 0));
        WriteText(fd, "z");
        _k.Call(L.Lseek, fd, 0, 0);
        Assert.Equal("\0\0\0z", ReadText(fd, 100));
    }

    [Fact]
    public void A_read_into_memory_it_cannot_write_fails_with_efault_and_consumes_nothing()
    {
        long fd = Open("/tmp/e", L.OCreat | L.ORdwr);
        WriteText(fd, "data");
        _k.Call(L.Lseek, fd, 0, 0);
        Assert.Equal(-L.EFAULT, _k.Call(L.Read, fd, (long)KernelHarness.ReadOnly, 4));
        Assert.Equal(-L.EFAULT, _k.Call(L.Read, fd, (long)KernelHarness.Unmapped, 4));
        Assert.Equal(-L.EFAULT, _k.Call(L.Write, fd, (long)KernelHarness.Unmapped, 4));
        Assert.Equal("data", ReadText(fd, 100));
    }

    [Fact]
    public void Lseek_rejects_negative_targets_and_unknown_whence_and_pipes()
    {
        long fd = Open("/tmp/s", L.OCreat | L.ORdwr);
        Assert.Equal(-L.EINVAL, _k.Call(L.Lseek, fd, -1, 0));
        Assert.Equal(-L.EINVAL, _k.Call(L.Lseek, fd, 0, 7));
        Assert.Equal(-L.ESPIPE, _k.Call(L.Lseek, 1, 0, 0));
        Assert.Equal(-L.EBADF, _k.Call(L.Lseek, 99, 0, 0));
    }

    [Fact]
    public void Readv_and_writev_scatter_and_gather()
    {
        long fd = Open("/tmp/v", L.OCreat | L.ORdwr);
        long iov = (long)KernelHarness.Scratch + 8192;
        long a = _k.Bytes("abc"u8.ToArray(), 100), b = _k.Bytes("defgh"u8.ToArray(), 200);
        _k.PutU64(iov, a);
        _k.PutU64(iov + 8, 3);
        _k.PutU64(iov + 16, b);
        _k.PutU64(iov + 24, 5);
        Assert.Equal(8, _k.Call(L.Writev, fd, iov, 2));
        _k.Call(L.Lseek, fd, 0, 0);
        _k.PutU64(iov + 8, 2);
        _k.PutU64(iov + 24, 10);
        Assert.Equal(8, _k.Call(L.Readv, fd, iov, 2));
        Assert.Equal("ab", Encoding.ASCII.GetString(_k.Read(a, 2)));
        Assert.Equal("cdefgh", Encoding.ASCII.GetString(_k.Read(b, 6)));
        Assert.Equal(-L.EINVAL, _k.Call(L.Writev, fd, iov, -1));
        Assert.Equal(-L.EFAULT, _k.Call(L.Writev, fd, (long)KernelHarness.Unmapped, 1));
    }

    [Fact]
    public void Pread_and_pwrite_leave_the_offset_alone()
    {
        long fd = Open("/tmp/p", L.OCreat | L.ORdwr);
        WriteText(fd, "0123456789");
        Assert.Equal(2, _k.Call(L.Pwrite, fd, _k.Bytes("AB"u8.ToArray(), 300), 2, 4));
        Assert.Equal(3, _k.Call(L.Pread, fd, (long)KernelHarness.Scratch + 400, 3, 3));
        Assert.Equal("3AB", Encoding.ASCII.GetString(_k.Read((long)KernelHarness.Scratch + 400, 3)));
        Assert.Equal(10, _k.Call(L.Lseek, fd, 0, 1));
        Assert.Equal(-L.ESPIPE, _k.Call(L.Pread, 0, (long)KernelHarness.Scratch, 1, 0));
    }

    [Fact]
    public void Fstat_and_newfstatat_fill_the_riscv64_stat_layout()
    {
        long fd = Open("/tmp/st", L.OCreat | L.ORdwr);
        WriteText(fd, "12345");
        long st = (long)KernelHarness.Scratch + 12288;
        Assert.Equal(0, _k.Call(L.Fstat, fd, st));
        Assert.Equal(0x8000, _k.I32(st + 16) & 0xF000);
        Assert.Equal(1, _k.I32(st + 20));
        Assert.Equal(5, _k.U64(st + 48));
        Assert.Equal(0, _k.Call(L.Newfstatat, L.AtFdCwd, _k.Str("/tmp", 2048), st, 0));
        Assert.Equal(0x4000, _k.I32(st + 16) & 0xF000);
        Assert.Equal(0, _k.Call(L.Newfstatat, fd, _k.Str("", 2048), st, 0x1000));
        Assert.Equal(5, _k.U64(st + 48));
        Assert.Equal(-L.ENOENT, _k.Call(L.Newfstatat, L.AtFdCwd, _k.Str("/tmp/none", 2048), st, 0));
        Assert.Equal(-L.EFAULT, _k.Call(L.Fstat, fd, (long)KernelHarness.ReadOnly));
    }

    [Fact]
    public void Directories_are_made_listed_as_such_and_removed_only_when_empty()
    {
        Assert.Equal(0, _k.Call(L.Mkdirat, L.AtFdCwd, _k.Str("/data", 2048), 0x1ed));
        Assert.Equal(-L.EEXIST, _k.Call(L.Mkdirat, L.AtFdCwd, _k.Str("/data", 2048), 0x1ed));
        long dir = Open("/data", L.ODirectory);
        Assert.True(_k.Call(L.Openat, dir, _k.Str("inner", 2048), L.OCreat | L.OWronly, 0) >= 0);
        Assert.Equal(-L.EISDIR, _k.Call(L.Read, dir, (long)KernelHarness.Scratch, 10));
        Assert.Equal(-L.ENOTEMPTY, _k.Call(L.Unlinkat, L.AtFdCwd, _k.Str("/data", 2048), 0x200));
        Assert.Equal(-L.EISDIR, _k.Call(L.Unlinkat, L.AtFdCwd, _k.Str("/data", 2048), 0));
        Assert.Equal(-L.ENOTDIR, _k.Call(L.Unlinkat, L.AtFdCwd, _k.Str("/data/inner", 2048), 0x200));
        Assert.Equal(0, _k.Call(L.Unlinkat, dir, _k.Str("inner", 2048), 0));
        Assert.Equal(-L.ENOENT, _k.Call(L.Unlinkat, dir, _k.Str("inner", 2048), 0));
        Assert.Equal(0, _k.Call(L.Unlinkat, L.AtFdCwd, _k.Str("/data", 2048), 0x200));
        Assert.Equal(-L.EBADF, _k.Call(L.Openat, 77, _k.Str("rel", 2048), 0));
        Assert.Equal(-L.ENOTDIR, _k.Call(L.Openat, 1, _k.Str("rel", 2048), 0));
    }

    [Fact]
    public void An_unlinked_file_stays_readable_through_an_open_descriptor()
    {
        long fd = Open("/tmp/ghost", L.OCreat | L.ORdwr);
        WriteText(fd, "boo");
        Assert.Equal(0, _k.Call(L.Unlinkat, L.AtFdCwd, _k.Str("/tmp/ghost", 2048), 0));
        _k.Call(L.Lseek, fd, 0, 0);
        Assert.Equal("boo", ReadText(fd, 10));
        Assert.Equal(-L.ENOENT, Open("/tmp/ghost", L.ORdonly));
    }

    [Fact]
    public void Fcntl_and_ioctl_manage_flags_and_report_what_is_readable()
    {
        long fd = Open("/tmp/fl", L.OCreat | L.ORdwr);
        Assert.Equal(L.ORdwr, _k.Call(L.Fcntl, fd, 3, 0));
        Assert.Equal(0, _k.Call(L.Fcntl, fd, 4, L.ONonblock | L.OAppend));
        Assert.Equal(L.ORdwr | L.ONonblock | L.OAppend, _k.Call(L.Fcntl, fd, 3, 0));
        Assert.Equal(0, _k.Call(L.Fcntl, fd, 2, 1));
        Assert.Equal(1, _k.Call(L.Fcntl, fd, 1, 0));
        Assert.Equal(-L.EINVAL, _k.Call(L.Fcntl, fd, 9999, 0));
        Assert.Equal(-L.EBADF, _k.Call(L.Fcntl, 500, 3, 0));
        WriteText(fd, "xyz");
        _k.Call(L.Lseek, fd, 1, 0);
        long arg = (long)KernelHarness.Scratch + 64;
        Assert.Equal(0, _k.Call(L.Ioctl, fd, 0x541B, arg));
        Assert.Equal(2, _k.I32(arg));
        Assert.Equal(-L.ENOTTY, _k.Call(L.Ioctl, fd, 0x5401, arg));
    }

    [Fact]
    public void The_descriptor_table_is_bounded()
    {
        long last = 0;
        for (int i = 0; i < 1100 && last >= 0; i++) last = Open("/dev/null", L.ORdonly);
        Assert.Equal(-L.EMFILE, last);
    }

    [Fact]
    public void The_devices_behave_like_linux_ones()
    {
        long zero = Open("/dev/zero", L.ORdonly);
        long nul = Open("/dev/null", L.ORdwr);
        _k.Bytes([1, 2, 3], 4096);
        Assert.Equal(3, _k.Call(L.Read, zero, (long)KernelHarness.Scratch + 4096, 3));
        Assert.Equal(new byte[3], _k.Read((long)KernelHarness.Scratch + 4096, 3));
        Assert.Equal(0, _k.Call(L.Read, nul, (long)KernelHarness.Scratch, 3));
        Assert.Equal(5, WriteText(nul, "gone!"));
    }
}
