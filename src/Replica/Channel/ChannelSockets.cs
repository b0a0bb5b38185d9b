using System.Net.Sockets;

namespace FaultTolerant.Replica.Channel;

/// <summary>Socket settings shared by both ends of the data channel.</summary>
internal static class ChannelSockets
{
    /// <param name="sendBuffer">SO_SNDBUF, 0 to keep the default. On Linux, setting a size turns autotuning off for that direction.</param>
    /// <param name="receiveBuffer">SO_RCVBUF, 0 to keep the default.</param>
    public static void Tune(Socket socket, int sendBuffer, int receiveBuffer, TimeSpan keepAlive)
    {
        // A checkpoint's last frame is what the backup waits for: it must not sit in Nagle's buffer.
        socket.NoDelay = true;
        if (sendBuffer > 0) socket.SendBufferSize = sendBuffer;
        if (receiveBuffer > 0) socket.ReceiveBufferSize = receiveBuffer;
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            int seconds = Math.Max(1, (int)keepAlive.TotalSeconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, seconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, Math.Max(1, seconds / 5));
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        }
        catch (SocketException)
        {
            // Keep-alive tuning is best effort: a platform without it still detects a dead peer by write errors.
        }
    }

    /// <summary>Closes without lingering: pending output is dropped and the peer sees a reset, not a clean end.</summary>
    public static void Abort(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
        socket.Dispose();
    }
}
