using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Tests.Channel;

/// <summary>
/// A TCP proxy on 127.0.0.1 between a link and a listener that knows where frames begin, so a fault lands exactly
/// where a test wants it: a flipped bit in the next frame of a type, a cut in the middle of one, or a stall.
/// Frames are forwarded as they are, never checked: the proxy is the network, not a party to the protocol.
/// </summary>
public sealed class FrameProxy : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, (Socket Client, Socket Backend)> _pipes = new();
    private readonly ConcurrentBag<Task> _tasks = [];
    private readonly Lock _lock = new();
    private (FrameType Type, bool Cut, TaskCompletionSource<FrameHeader> Fired)? _armed;
    private TaskCompletionSource _running = Released();
    private int _connections;
    private long _framesForwarded;

    /// <param name="clientReceiveBuffer">SO_RCVBUF of the link-facing sockets (0: default); small makes a stall fill the link's queue fast.</param>
    public FrameProxy(IPEndPoint target, int clientReceiveBuffer = 0)
    {
        _target = target;
        if (clientReceiveBuffer > 0) _listener.ReceiveBufferSize = clientReceiveBuffer;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        _tasks.Add(AcceptLoopAsync());
    }

    public IPEndPoint LocalEndpoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Connections accepted from the link so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public long FramesForwarded => Interlocked.Read(ref _framesForwarded);

    /// <summary>Flips one bit in the middle of the payload of the next frame of <paramref name="type"/>; completes with its header.</summary>
    public Task<FrameHeader> CorruptNext(FrameType type) => Arm(type, cut: false);

    /// <summary>
    /// Forwards the header and half the payload of the next frame of <paramref name="type"/>, then ends the stream to the
    /// backup (a clean FIN, so the backup sees a stream ending inside a frame) and resets the link's side.
    /// </summary>
    public Task<FrameHeader> CutInside(FrameType type) => Arm(type, cut: true);

    /// <summary>Stops reading from the link: its socket buffers and then its queue fill up.</summary>
    public void Pause()
    {
        lock (_lock)
        {
            if (_running.Task.IsCompleted) _running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Resume()
    {
        lock (_lock) _running.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Resume();
        _listener.Dispose();
        foreach (var (client, backend) in _pipes.Values)
        {
            client.Dispose();
            backend.Dispose();
        }
        try
        {
            await Task.WhenAll(_tasks).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // Pipes end with whatever their sockets threw when closed under them.
        }
    }

    private static TaskCompletionSource Released()
    {
        var t = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        t.SetResult();
        return t;
    }

    private Task<FrameHeader> Arm(FrameType type, bool cut)
    {
        var fired = new TaskCompletionSource<FrameHeader>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock) _armed = (type, cut, fired);
        return fired.Task;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            int id = Interlocked.Increment(ref _connections);
            var backend = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            client.NoDelay = true;
            try
            {
                await backend.ConnectAsync(_target, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                client.Dispose();
                backend.Dispose();
                continue;
            }
            _pipes[id] = (client, backend);
            _tasks.Add(ForwardFramesAsync(id, client, backend));
            _tasks.Add(ForwardBackAsync(id, client, backend));
        }
    }

    /// <summary>Link → backup, frame by frame, with the armed fault.</summary>
    private async Task ForwardFramesAsync(int id, Socket client, Socket backend)
    {
        var header = new byte[FrameHeader.Size];
        try
        {
            while (true)
            {
                Task running;
                lock (_lock) running = _running.Task;
                await running.WaitAsync(_stop.Token);
                int got = await ReadAsync(client, header);
                if (got == 0)
                {
                    backend.Shutdown(SocketShutdown.Send);
                    return;
                }
                if (got < header.Length) throw new IOException("the link ended inside a header");
                int length = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(32));
                var payload = new byte[Math.Clamp(length, 0, FrameHeader.MaxPayload)];
                if (await ReadAsync(client, payload) < payload.Length) throw new IOException("the link ended inside a payload");

                var type = (FrameType)header[5];
                (FrameType Type, bool Cut, TaskCompletionSource<FrameHeader> Fired)? fault = null;
                lock (_lock)
                {
                    if (_armed is { } a && a.Type == type && payload.Length >= 2)
                    {
                        fault = a;
                        _armed = null;
                    }
                }
                var parsed = new FrameHeader(type, BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(8)), BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(16)),
                    BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(24)), length);
                if (fault is { Cut: true } cut)
                {
                    await backend.SendAsync(header, SocketFlags.None);
                    await backend.SendAsync(payload.AsMemory(0, payload.Length / 2), SocketFlags.None);
                    backend.Shutdown(SocketShutdown.Send);
                    backend.Dispose();
                    client.LingerState = new LingerOption(true, 0);
                    client.Dispose();
                    cut.Fired.TrySetResult(parsed);
                    return;
                }
                if (fault is { } corrupt)
                {
                    payload[payload.Length / 2] ^= 0x10;
                    corrupt.Fired.TrySetResult(parsed);
                }
                await backend.SendAsync(header, SocketFlags.None);
                if (payload.Length > 0) await backend.SendAsync(payload, SocketFlags.None);
                Interlocked.Increment(ref _framesForwarded);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
        {
            client.Dispose();
            backend.Dispose();
        }
        finally
        {
            _pipes.TryRemove(id, out _);
        }
    }

    /// <summary>Backup → link: nothing is expected but the backup's close, which the link must see.</summary>
    private static async Task ForwardBackAsync(int id, Socket client, Socket backend)
    {
        _ = id;
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = await backend.ReceiveAsync(buffer, SocketFlags.None);
                if (n == 0) break;
                await client.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            // Closed from the other direction.
        }
        client.Dispose();
        backend.Dispose();
    }

    private static async Task<int> ReadAsync(Socket socket, byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(total), SocketFlags.None);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
