using System.Net.Sockets;
using System.Text;

namespace FaultTolerant.Cluster.Tests.Support;

/// <summary>A minimal RESP2 client over real TCP, with a read timeout so a hang fails the test instead of stalling it.</summary>
public sealed class RespClient : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly BufferedStream _in;
    private readonly NetworkStream _out;

    public RespClient(int port, TimeSpan? timeout = null)
        : this("127.0.0.1", port, timeout)
    {
    }

    /// <summary>To a server on another loopback address (a gateway on 127.0.0.2, say).</summary>
    public RespClient(string host, int port, TimeSpan? timeout = null)
    {
        _tcp = new TcpClient(host, port) { NoDelay = true };
        _tcp.ReceiveTimeout = (int)(timeout ?? TimeSpan.FromSeconds(30)).TotalMilliseconds;
        _out = _tcp.GetStream();
        _in = new BufferedStream(_out);
    }

    public static byte[] Encode(params byte[][] args)
    {
        var m = new MemoryStream();
        m.Write(Encoding.ASCII.GetBytes($"*{args.Length}\r\n"));
        foreach (var a in args)
        {
            m.Write(Encoding.ASCII.GetBytes($"${a.Length}\r\n"));
            m.Write(a);
            m.Write("\r\n"u8);
        }
        return m.ToArray();
    }

    public void Send(byte[] bytes) => _out.Write(bytes);

    public string Call(params string[] args)
    {
        Send(Encode(args.Select(Encoding.UTF8.GetBytes).ToArray()));
        return Encoding.UTF8.GetString(ReadReply());
    }

    /// <summary>Reads one reply; a bulk string comes back as its raw bytes, other kinds as their line.</summary>
    public byte[] ReadReply()
    {
        string line = ReadLine();
        if (line[0] != '$') return Encoding.UTF8.GetBytes(line[0] == '+' ? line[1..] : line);
        int length = int.Parse(line[1..]);
        if (length < 0) return "(nil)"u8.ToArray();
        var data = new byte[length + 2];
        _in.ReadExactly(data);
        return data[..length];
    }

    private string ReadLine()
    {
        var sb = new StringBuilder();
        while (true)
        {
            int b = _in.ReadByte();
            if (b < 0) throw new EndOfStreamException("server closed the connection");
            if (b == '\n' && sb.Length > 0 && sb[^1] == '\r') return sb.ToString(0, sb.Length - 1);
            sb.Append((char)b);
        }
    }

    public void Dispose() => _tcp.Dispose();
}
