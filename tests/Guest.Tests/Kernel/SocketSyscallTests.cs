using System.Buffers.Binary;
using System.Text;
using FaultTolerant.Guest.Kernel;

namespace FaultTolerant.Guest.Tests.Kernel;

public sealed class SocketSyscallTests
{
    private const int SockStream = 1, SockNonblock = 0x800;
    private readonly KernelHarness _k = new(buffer: 1024);

    private long Sockaddr(int port, int offset = 512)
    {
        var sa = new byte[16];
        BinaryPrimitives.WriteUInt16LittleEndian(sa, 2);
        BinaryPrimitives.WriteUInt16BigEndian(sa.AsSpan(2), (ushort)port);
        BinaryPrimitives.WriteUInt32BigEndian(sa.AsSpan(4), 0x7f000001);
        return _k.Bytes(sa, offset);
    }

    private long Listener(int port, int flags = 0)
    {
        long fd = _k.Call(L.Socket, 2, SockStream | flags, 0);
        Assert.True(fd >= 3);
        Assert.Equal(0, _k.Call(L.Bind, fd, Sockaddr(port), 16));
        Assert.Equal(0, _k.Call(L.Listen, fd, 16));
        return fd;
    }

    private long Accepted(long listener, out long connection)
    {
        connection = _k.Kernel.Connect(6379, 0x0a000001, 40000);
        long fd = _k.Call(L.Accept, listener, 0, 0);
        Assert.True(fd > listener);
        return fd;
    }

    private long Send(long fd, string text) => _k.Call(L.Sendto, fd, _k.Bytes(Encoding.ASCII.GetBytes(text), 2048), text.Length, 0, 0, 0);

    [Fact]
    public void Accept_blocks_until_the_host_connects_then_returns_a_connected_socket()
    {
        long l = Listener(6379);
        _k.CallExpectingBlock(L.Accept, l, 0, 0);
        Assert.Equal("accept", _k.Kernel.Wait!.Syscall);
        long id = _k.Kernel.Connect(6379, 0x0a000001, 40000);
        long addr = (long)KernelHarness.Scratch + 700, len = (long)KernelHarness.Scratch + 740;
        _k.PutI32(len, 16);
        long fd = _k.Call(L.Accept, l, addr, len);
        Assert.Equal(SyscallOutcome.Completed, _k.LastOutcome);
        Assert.Equal(16, _k.I32(len));
        Assert.Equal(40000, BinaryPrimitives.ReadUInt16BigEndian(_k.Read(addr + 2, 2)));
        Assert.Equal(0x0a000001u, BinaryPrimitives.ReadUInt32BigEndian(_k.Read(addr + 4, 4)));
        Assert.Equal(id, Assert.Single(_k.Kernel.Connections()).Id);
        Assert.True(fd > l);
    }

    [Fact]
    public void A_nonblocking_listener_says_eagain_instead_of_blocking()
    {
        long l = Listener(6379, SockNonblock);
        Assert.Equal(-L.EAGAIN, _k.Call(L.Accept4, l, 0, 0, SockNonblock));
        Assert.Equal(-L.EINVAL, _k.Call(L.Accept4, l, 0, 0, 0x1));
    }

    [Fact]
    public void Bytes_flow_both_ways_with_counted_offsets()
    {
        long fd = Accepted(Listener(6379), out long id);
        Assert.Equal(5, _k.Kernel.Deliver(id, "hello"u8));
        long buf = (long)KernelHarness.Scratch + 4096;
        Assert.Equal(5, _k.Call(L.Recvfrom, fd, buf, 100, 0, 0, 0));
        Assert.Equal("hello", Encoding.ASCII.GetString(_k.Read(buf, 5)));
        Assert.Equal(6, Send(fd, "world!"));
        var info = _k.Kernel.ConnectionInfo(id)!;
        Assert.Equal(5, info.Received);
        Assert.Equal(6, info.Sent);
        Assert.Equal(0, info.Released);
        var output = Assert.Single(_k.Kernel.OutputStreams(), s => s.Id == id);
        Assert.Equal("world!", Encoding.ASCII.GetString(output.Pending.Span));
        _k.Kernel.Release(id, 6);
        Assert.Equal(6, _k.Kernel.ConnectionInfo(id)!.Released);
    }

    [Fact]
    public void Recv_blocks_on_an_empty_connection_and_peeks_without_consuming()
    {
        long fd = Accepted(Listener(6379), out long id);
        long buf = (long)KernelHarness.Scratch + 4096;
        _k.CallExpectingBlock(L.Recvfrom, fd, buf, 100, 0, 0, 0);
        Assert.Equal(-L.EAGAIN, _k.Call(L.Recvfrom, fd, buf, 100, 0x40, 0, 0));
        _k.Kernel.Deliver(id, "abc"u8);
        Assert.Equal(3, _k.Call(L.Recvfrom, fd, buf, 100, 0x2, 0, 0));
        Assert.Equal(3, _k.Call(L.Read, fd, buf, 100));
        _k.Kernel.EndInput(id);
        Assert.Equal(0, _k.Call(L.Read, fd, buf, 100));
    }

    [Fact]
    public void Send_blocks_when_the_send_buffer_is_full_and_resumes_after_release()
    {
        long fd = Accepted(Listener(6379), out long id);
        var kb = new string('x', 1024);
        Assert.Equal(1024, Send(fd, kb));
        _k.CallExpectingBlock(L.Sendto, fd, (long)KernelHarness.Scratch + 2048, 10, 0, 0, 0);
        Assert.Equal(-L.EAGAIN, _k.Call(L.Sendto, fd, (long)KernelHarness.Scratch + 2048, 10, 0x40, 0, 0));
        _k.Kernel.Release(id, 1000);
        Assert.Equal(10, _k.Call(L.Sendto, fd, (long)KernelHarness.Scratch + 2048, 10, 0, 0, 0));
    }

    [Fact]
    public void Stdout_blocks_when_its_unreleased_output_is_full()
    {
        var text = _k.Bytes(new byte[1024], 0);
        Assert.Equal(1024, _k.Call(L.Write, 1, text, 1024));
        _k.CallExpectingBlock(L.Write, 1, text, 1);
        _k.Kernel.Release(GuestStreams.Stdout, 1024);
        Assert.Equal(1, _k.Call(L.Write, 1, text, 1));
    }

    [Fact]
    public void The_receive_buffer_takes_only_what_fits()
    {
        Accepted(Listener(6379), out long id);
        Assert.Equal(1024, _k.Kernel.Deliver(id, new byte[3000]));
        Assert.Equal(0, _k.Kernel.Deliver(id, new byte[1]));
    }

    [Fact]
    public void Shutdown_and_close_end_the_guest_side_and_release_forgets_the_connection()
    {
        long fd = Accepted(Listener(6379), out long id);
        Send(fd, "bye");
        Assert.Equal(0, _k.Call(L.Shutdown, fd, 1));
        Assert.Equal(-L.EPIPE, Send(fd, "more"));
        Assert.True(_k.Kernel.ConnectionInfo(id)!.OutputClosed);
        Assert.Equal(0, _k.Call(L.Close, fd));
        _k.Kernel.Release(id, 3);
        Assert.Null(_k.Kernel.ConnectionInfo(id));
        Assert.Equal(-L.EINVAL, _k.Call(L.Shutdown, 3, 7));
    }

    [Fact]
    public void Closing_a_listener_ends_connections_it_never_accepted_and_frees_its_port()
    {
        long l = Listener(6379);
        long id = _k.Kernel.Connect(6379, 0x7f000001, 1);
        Assert.Equal(0, _k.Call(L.Close, l));
        Assert.True(_k.Kernel.ConnectionInfo(id)!.OutputClosed);
        Assert.Throws<GuestConnectionRefusedException>(() => _k.Kernel.Connect(6379, 0, 0));
        Listener(6379);
    }

    [Fact]
    public void The_backlog_bounds_pending_connections()
    {
        long fd = _k.Call(L.Socket, 2, SockStream, 0);
        _k.Call(L.Bind, fd, Sockaddr(7000), 16);
        _k.Call(L.Listen, fd, 2);
        _k.Kernel.Connect(7000, 0, 0);
        _k.Kernel.Connect(7000, 0, 0);
        var e = Assert.Throws<GuestConnectionRefusedException>(() => _k.Kernel.Connect(7000, 0, 0));
        Assert.Contains("backlog", e.Message);
    }

    [Fact]
    public void Ports_and_addresses_are_checked_and_reported()
    {
        long a = Listener(6379);
        long b = _k.Call(L.Socket, 2, SockStream, 0);
        Assert.Equal(-L.EADDRINUSE, _k.Call(L.Bind, b, Sockaddr(6379), 16));
        Assert.Equal(-L.EINVAL, _k.Call(L.Bind, b, Sockaddr(6379), 8));
        Assert.Equal(0, _k.Call(L.Bind, b, Sockaddr(0), 16));
        long addr = (long)KernelHarness.Scratch + 700, len = (long)KernelHarness.Scratch + 740;
        _k.PutI32(len, 16);
        Assert.Equal(0, _k.Call(L.Getsockname, b, addr, len));
        Assert.InRange(BinaryPrimitives.ReadUInt16BigEndian(_k.Read(addr + 2, 2)), 32768, 60999);
        Assert.Equal(-L.EINVAL, _k.Call(L.Bind, b, Sockaddr(1234), 16));
        Assert.Equal(-L.ENOTCONN, _k.Call(L.Getpeername, a, addr, len));
        Assert.Equal(-L.EAFNOSUPPORT, _k.Call(L.Socket, 10, SockStream, 0));
        Assert.Equal(-L.ENOTSOCK, _k.Call(L.Bind, 1, Sockaddr(1), 16));
        Assert.Equal(-L.ENETUNREACH, _k.Call(L.Connect, b, Sockaddr(80), 16));
        Assert.Equal(-L.EPIPE, Send(b, "x"));
    }

    [Fact]
    public void Socket_options_round_trip_and_unknown_ones_are_refused()
    {
        long s = _k.Call(L.Socket, 2, SockStream, 0);
        long val = (long)KernelHarness.Scratch + 800, len = (long)KernelHarness.Scratch + 840;
        _k.PutI32(val, 1);
        Assert.Equal(0, _k.Call(L.Setsockopt, s, 1, 2, val, 4));
        Assert.Equal(0, _k.Call(L.Setsockopt, s, 6, 1, val, 4));
        _k.PutI32(val, 0);
        _k.PutI32(len, 4);
        Assert.Equal(0, _k.Call(L.Getsockopt, s, 1, 2, val, len));
        Assert.Equal(1, _k.I32(val));
        Assert.Equal(0, _k.Call(L.Getsockopt, s, 1, 3, val, len));
        Assert.Equal(1, _k.I32(val));
        Assert.Equal(-L.ENOPROTOOPT, _k.Call(L.Setsockopt, s, 1, 999, val, 4));
        Assert.Equal(-L.EINVAL, _k.Call(L.Setsockopt, s, 1, 2, val, 2));
    }

    [Fact]
    public void Ppoll_reports_readiness_and_blocks_until_input_or_its_deadline()
    {
        long l = Listener(6379);
        long fds = (long)KernelHarness.Scratch + 1500, ts = (long)KernelHarness.Scratch + 1600;
        _k.PutI32(fds, (int)l);
        _k.PutI32(fds + 4, 1);           // POLLIN
        _k.PutI32(fds + 8, 77);          // not open: POLLNVAL
        _k.PutI32(fds + 12, 1);
        Assert.Equal(1, _k.Call(L.Ppoll, fds, 2, 0, 0, 0));
        Assert.Equal(0x20, BinaryPrimitives.ReadInt16LittleEndian(_k.Read(fds + 14, 2)));

        _k.PutI32(fds + 8, -1);          // ignored
        _k.PutU64(ts, 0);
        _k.PutU64(ts + 8, 5_000_000);    // 5 ms
        _k.CallExpectingBlock(L.Ppoll, fds, 2, ts, 0, 0);
        long deadline = _k.Kernel.Wait!.DeadlineNanoseconds!.Value;
        _k.Clock.Monotonic += 1_000_000;
        _k.CallExpectingBlock(L.Ppoll, fds, 2, ts, 0, 0);
        Assert.Equal(deadline, _k.Kernel.Wait!.DeadlineNanoseconds);  // re-execution keeps the original deadline

        _k.Kernel.Connect(6379, 0, 0);
        Assert.Equal(1, _k.Call(L.Ppoll, fds, 2, ts, 0, 0));
        Assert.Equal(1, BinaryPrimitives.ReadInt16LittleEndian(_k.Read(fds + 6, 2)));
    }
}
