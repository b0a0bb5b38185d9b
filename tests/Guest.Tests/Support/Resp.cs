using System.Text;

namespace FaultTolerant.Guest.Tests.Support;

/// <summary>Just enough RESP2 to talk to miniredis: encode commands, parse whole replies.</summary>
public static class Resp
{
    public static byte[] Command(params string[] args) => Command(args.Select(Encoding.UTF8.GetBytes).ToArray());

    public static byte[] Command(params byte[][] args)
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

    /// <summary>Parses one reply at <paramref name="offset"/>: "+OK", "-ERR ...", ":1", a bulk string, "(nil)", or "[a, b]".</summary>
    /// <returns>False when the bytes hold no complete reply yet.</returns>
    public static bool TryParse(byte[] data, ref int offset, out string reply)
    {
        reply = "";
        int lineEnd = IndexOfCrlf(data, offset);
        if (lineEnd < 0) return false;
        string line = Encoding.UTF8.GetString(data, offset + 1, lineEnd - offset - 1);
        char kind = (char)data[offset];
        int next = lineEnd + 2;
        switch (kind)
        {
            case '+' or '-' or ':':
                reply = kind == '+' ? line : kind + line;
                offset = next;
                return true;
            case '$':
                int length = int.Parse(line);
                if (length < 0)
                {
                    reply = "(nil)";
                    offset = next;
                    return true;
                }
                if (data.Length < next + length + 2) return false;
                reply = Encoding.UTF8.GetString(data, next, length);
                offset = next + length + 2;
                return true;
            case '*':
                int count = int.Parse(line);
                var items = new List<string>();
                int at = next;
                for (int i = 0; i < count; i++)
                {
                    if (!TryParse(data, ref at, out var item)) return false;
                    items.Add(item);
                }
                reply = "[" + string.Join(", ", items) + "]";
                offset = at;
                return true;
            default:
                throw new FormatException($"not a RESP reply: '{kind}'");
        }
    }

    public static List<string> ParseAll(byte[] data)
    {
        var replies = new List<string>();
        int offset = 0;
        while (offset < data.Length && TryParse(data, ref offset, out var r)) replies.Add(r);
        return replies;
    }

    private static int IndexOfCrlf(byte[] data, int from)
    {
        for (int i = from; i + 1 < data.Length; i++)
        {
            if (data[i] == '\r' && data[i + 1] == '\n') return i;
        }
        return -1;
    }
}
