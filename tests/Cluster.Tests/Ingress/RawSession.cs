using System.Net;
using System.Net.Sockets;
using FaultTolerant.Cluster.Ingress;

namespace FaultTolerant.Cluster.Tests.Ingress;

/// <summary>A gateway session played by hand, frame by frame, to do what a <see cref="RemotePrimary"/> never would: not acknowledge, not read, send garbage.</summary>
public sealed class RawSession : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly byte[] _header = new byte[IngressFrameHeader.Size];

    public RawSession(IPEndPoint server)
    {
        _tcp = new TcpClient { NoDelay = true };
        _tcp.Connect(server);
        _stream = _tcp.GetStream();
    }

    public void Send(IngressMessage message) => SendBytes(IngressCodec.Encode(message));

    public void SendBytes(byte[] bytes) => _stream.Write(bytes);

    /// <summary>The next frame, or null when the server closed the connection.</summary>
    public async Task<IngressMessage?> ReadAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        return await IngressCodec.ReadAsync(_stream, _header, timeout.Token);
    }

    /// <summary>The next frame of type <typeparamref name="T"/>, skipping heartbeats.</summary>
    public async Task<T> ExpectAsync<T>() where T : IngressMessage
    {
        while (true)
        {
            var m = await ReadAsync();
            if (m is IngressMessage.Heartbeat) continue;
            return Assert.IsType<T>(m);
        }
    }

    /// <summary>Whether the server closed (or reset) the connection, reading and dropping whatever frames come first.</summary>
    public async Task<bool> ClosedByServerAsync()
    {
        try
        {
            while (await ReadAsync() is not null)
            {
            }
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Closes with a reset, as a node that dies does (or as near as one process can).</summary>
    public void Abort()
    {
        _tcp.Client.LingerState = new LingerOption(true, 0);
        _tcp.Dispose();
    }

    public void Dispose() => _tcp.Dispose();
}
