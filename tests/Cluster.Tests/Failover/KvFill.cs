using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FaultTolerant.Cluster.Tests.Failover;

/// <summary>
/// Bulk data for the guest: big values (random letters, so that no page encodes small) SET through a gateway, so that
/// a new backup's initial sync — the whole guest memory, by pre-copy — takes long enough to be caught in the middle.
/// </summary>
internal static class KvFill
{
    private const int Pipeline = 8;

    public static string Key(int i) => $"fill:{i}";

    /// <summary>SETs <paramref name="keys"/> values of <paramref name="valueBytes"/> bytes, <see cref="Pipeline"/> at a time; each must be +OK.</summary>
    /// <exception cref="IOException">A reply other than +OK, or the connection closed.</exception>
    public static async Task FillAsync(IPEndPoint gateway, int keys, int valueBytes, CancellationToken cancellation)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(gateway, cancellation);
        await using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var value = new byte[valueBytes];
        for (int i = 0; i < value.Length; i++) value[i] = (byte)('a' + Random.Shared.Next(26));
        for (int first = 0; first < keys; first += Pipeline)
        {
            int count = Math.Min(Pipeline, keys - first);
            for (int i = first; i < first + count; i++)
            {
                // Each value differs from the others in its first bytes.
                Encoding.ASCII.GetBytes($"{i:d8}").CopyTo(value, 0);
                var key = Key(i);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n${value.Length}\r\n"), cancellation);
                await stream.WriteAsync(value, cancellation);
                await stream.WriteAsync("\r\n"u8.ToArray(), cancellation);
            }
            for (int i = 0; i < count; i++)
            {
                var reply = await reader.ReadLineAsync(cancellation) ?? throw new IOException("the connection closed during the fill");
                if (reply != "+OK") throw new IOException($"SET {Key(first + i)} answered {reply}");
            }
        }
    }

    /// <summary>How many of the filled keys do not hold a value of <paramref name="valueBytes"/> bytes now (STRLEN, pipelined).</summary>
    public static async Task<int> CountWrongAsync(IPEndPoint gateway, int keys, int valueBytes, CancellationToken cancellation)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(gateway, cancellation);
        await using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        int wrong = 0;
        foreach (var batch in Enumerable.Range(0, keys).Chunk(256))
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(string.Concat(batch.Select(i => $"*2\r\n$6\r\nSTRLEN\r\n${Key(i).Length}\r\n{Key(i)}\r\n"))), cancellation);
            foreach (var _ in batch)
            {
                var reply = await reader.ReadLineAsync(cancellation) ?? throw new IOException("the connection closed during the check");
                if (reply != $":{valueBytes}") wrong++;
            }
        }
        return wrong;
    }
}
