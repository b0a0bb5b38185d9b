using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FaultTolerant.Cluster.Chaos;

/// <summary>One reply of a RESP server, as the workload needs it.</summary>
/// <param name="Kind">'+' status, '-' error, ':' integer, '$' bulk string (<see cref="Text"/> null: nil).</param>
internal readonly record struct RespReply(char Kind, string? Text)
{
    public bool IsError => Kind == '-';
}

/// <summary>
/// A client connection to a gateway speaking RESP, every call bounded by a timeout. After a timeout or an I/O error the
/// connection is unusable (a late reply would be taken for the next request's): the caller disposes it and connects
/// again, possibly elsewhere.
/// </summary>
internal sealed class RespConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RespConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
    }

    /// <exception cref="SocketException">Nothing accepted the connection.</exception>
    /// <exception cref="OperationCanceledException">No answer within <paramref name="timeout"/>, or <paramref name="cancellation"/>.</exception>
    public static async Task<RespConnection> OpenAsync(IPEndPoint endpoint, TimeSpan timeout, CancellationToken cancellation)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            limit.CancelAfter(timeout);
            await socket.ConnectAsync(endpoint, limit.Token);
            return new RespConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends a command and reads its reply.</summary>
    /// <exception cref="IOException">The connection broke or closed.</exception>
    /// <exception cref="SocketException">The connection broke.</exception>
    /// <exception cref="OperationCanceledException">No reply within <paramref name="timeout"/>, or <paramref name="cancellation"/>.</exception>
    public async Task<RespReply> CallAsync(IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellation)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        limit.CancelAfter(timeout);
        await _stream.WriteAsync(Encode(command), limit.Token);
        return await ReadReplyAsync(limit.Token);
    }

    /// <summary>Sends many commands at once and reads their replies in order (one round trip).</summary>
    public async Task<RespReply[]> PipelineAsync(IReadOnlyList<IReadOnlyList<string>> commands, TimeSpan timeout, CancellationToken cancellation)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        limit.CancelAfter(timeout);
        await _stream.WriteAsync(commands.SelectMany(Encode).ToArray(), limit.Token);
        var replies = new RespReply[commands.Count];
        for (int i = 0; i < replies.Length; i++) replies[i] = await ReadReplyAsync(limit.Token);
        return replies;
    }

    private static byte[] Encode(IReadOnlyList<string> command)
    {
        var text = new StringBuilder().Append('*').Append(command.Count).Append("\r\n");
        foreach (var part in command) text.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private async Task<RespReply> ReadReplyAsync(CancellationToken cancellation)
    {
        var line = await ReadLineAsync(cancellation);
        if (line.Length == 0) throw new IOException("an empty reply line");
        char kind = line[0];
        var rest = line[1..];
        switch (kind)
        {
            case '+' or '-' or ':':
                return new RespReply(kind, rest);
            case '$':
                if (!int.TryParse(rest, out int length)) throw new IOException($"a bulk length that is not a number: {line}");
                if (length < 0) return new RespReply('$', null);
                var bytes = await ReadExactlyAsync(length + 2, cancellation);
                return new RespReply('$', Encoding.UTF8.GetString(bytes, 0, length));
            default:
                throw new IOException($"an unexpected reply: {line}");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellation)
    {
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                int length = newline - _start;
                if (length > 0 && _buffer[newline - 1] == '\r') length--;
                var line = Encoding.UTF8.GetString(_buffer, _start, length);
                _start = newline + 1;
                return line;
            }
            await FillAsync(cancellation);
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellation)
    {
        var result = new byte[count];
        int have = 0;
        while (have < count)
        {
            if (_start == _end) await FillAsync(cancellation);
            int n = Math.Min(count - have, _end - _start);
            Array.Copy(_buffer, _start, result, have, n);
            _start += n;
            have += n;
        }
        return result;
    }

    private async Task FillAsync(CancellationToken cancellation)
    {
        if (_start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) throw new IOException("a reply line longer than the buffer");
        int n = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellation);
        if (n == 0) throw new IOException("the gateway closed the connection");
        _end += n;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _socket.Dispose();
    }
}
