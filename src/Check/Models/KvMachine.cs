namespace FaultTolerant.Check;

/// <summary>
/// States are nodes of a trie of writes: a node is "this parent's string, then this suffix", so an append
/// costs one small node instead of a copy of an ever longer string (millions of states would otherwise
/// hold gigabytes of text). Equal strings reached by different paths get different nodes; the search then
/// merely memoizes less, and a get compares the text itself.
/// </summary>
internal sealed class KvMachine : KeyMachine
{
    private const int Empty = 0;

    private readonly ValueTable _values = new();
    private readonly string[] _f;
    private readonly bool[] _open;
    private readonly int[] _argument;
    private readonly string[] _result;

    // Node i is the string of _parent[i] followed by the value _suffix[i]; node 0 is the empty string.
    private readonly List<int> _parent = [-1];
    private readonly List<int> _suffix = [ValueTable.Nil];
    private readonly List<int> _length = [0];
    private readonly Dictionary<(int Parent, int Suffix), int> _nodes = [];

    public KvMachine(IReadOnlyList<Operation> ops)
    {
        int n = ops.Count;
        _f = new string[n];
        _open = new bool[n];
        _argument = new int[n];
        _result = new string[n];
        for (int i = 0; i < n; i++)
        {
            _f[i] = ops[i].F;
            _open[i] = ops[i].IsOpen;
            _argument[i] = _values.Id(ops[i].Value ?? "");
            _result[i] = ops[i].Result ?? "";
        }
    }

    public override int Initial => Empty;

    public override bool Step(int state, int op, out int next)
    {
        switch (_f[op])
        {
            case "get":
                next = state;
                return _open[op] || Equals(state, _result[op]);
            case "put":
                next = Node(Empty, _argument[op]);
                return true;
            default:
                next = Node(state, _argument[op]);
                return true;
        }
    }

    private int Node(int parent, int suffix)
    {
        if (_values.Value(suffix)!.Length == 0)
        {
            return parent;
        }

        if (!_nodes.TryGetValue((parent, suffix), out int node))
        {
            node = _parent.Count;
            _parent.Add(parent);
            _suffix.Add(suffix);
            _length.Add(_length[parent] + _values.Value(suffix)!.Length);
            _nodes.Add((parent, suffix), node);
        }

        return node;
    }

    /// <summary>Whether node's string is <paramref name="text"/>, comparing suffixes from the end.</summary>
    private bool Equals(int node, string text)
    {
        if (_length[node] != text.Length)
        {
            return false;
        }

        int end = text.Length;
        for (int at = node; at != Empty; at = _parent[at])
        {
            string part = _values.Value(_suffix[at])!;
            end -= part.Length;
            if (string.CompareOrdinal(text, end, part, 0, part.Length) != 0)
            {
                return false;
            }
        }

        return true;
    }
}
