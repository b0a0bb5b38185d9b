using System.Text;
using FaultTolerant.Replica.Tests.Support;

namespace FaultTolerant.Replica.Tests.Channel;

/// <summary>Just enough RESP to talk to miniredis through the test gateway.</summary>
public static class Resp
{
    public static byte[] Command(params string[] args)
    {
        var sb = new StringBuilder($"*{args.Length}\r\n");
        foreach (var a in args) sb.Append($"${Encoding.UTF8.GetByteCount(a)}\r\n{a}\r\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>Complete replies (simple, integer, error and bulk) in a byte stream.</summary>
    public static List<string> Replies(byte[] data)
    {
        var text = Encoding.UTF8.GetString(data);
        var replies = new List<string>();
        int at = 0;
        while (true)
        {
            int end = text.IndexOf("\r\n", at, StringComparison.Ordinal);
            if (end < 0) return replies;
            var line = text[at..end];
            if (line.StartsWith('$') && int.Parse(line[1..]) is var len and >= 0)
            {
                if (text.Length < end + 2 + len + 2) return replies;
                replies.Add(text.Substring(end + 2, len));
                at = end + 4 + len;
                continue;
            }
            replies.Add(line);
            at = end + 2;
        }
    }

    /// <summary>Sends a command and waits (bounded) for its reply, which the gateway only gets once its epoch is acked.</summary>
    public static string Call(TestGateway gateway, long connection, params string[] args)
    {
        int before = Replies(gateway.ReceivedSoFar(connection)).Count;
        gateway.Send(connection, Command(args));
        Assert.True(gateway.WaitFor(connection, d => Replies(d).Count > before, Eventually.Patience), $"no reply to {string.Join(' ', args)} within {Eventually.Patience.TotalSeconds} s");
        return Replies(gateway.ReceivedSoFar(connection))[before];
    }
}
