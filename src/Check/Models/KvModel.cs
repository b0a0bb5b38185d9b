namespace FaultTolerant.Check;

/// <summary>Porcupine's key-value model: each key a string, initially empty; get, put and append.</summary>
internal sealed class KvModel : Model
{
    public override string Name => "kv";

    internal override void Validate(Operation op, string source)
    {
        if (op.F is not ("get" or "put" or "append"))
        {
            throw Mismatch(op, source, $"no operation '{op.F}' (it has get, put and append)");
        }

        if (op.F != "get" && op.Value is null)
        {
            throw Mismatch(op, source, $"a {op.F} needs a value");
        }
    }

    internal override KeyMachine Compile(IReadOnlyList<Operation> ops) => new KvMachine(ops);

    // The string set or extended by an open put or append is seen only by a get whose result contains it
    // (until a put replaces it, every get sees it whole).
    internal override IReadOnlyList<Operation> Unseen(IReadOnlyList<Operation> ops)
    {
        var results = ops.Where(o => o.F == "get" && !o.IsOpen).Select(o => o.Result ?? "").Distinct().ToList();
        return ops.Where(o => o.IsOpen && o.F != "get" && !results.Any(r => r.Contains(o.Value ?? "", StringComparison.Ordinal))).ToList();
    }
}

internal sealed class KvMachine : KeyMachine
{
    private readonly ValueTable _values = new();
    private readonly string[] _f;
    private readonly bool[] _open;
    private readonly int[] _argument;
    private readonly int[] _result;
    private readonly int _empty;

    // Appends make new strings; the same (state, suffix) pair recurs across the search, so remember it.
    private readonly Dictionary<(int State, int Suffix), int> _appended = [];

    public KvMachine(IReadOnlyList<Operation> ops)
    {
        _empty = _values.Id("");
        int n = ops.Count;
        _f = new string[n];
        _open = new bool[n];
        _argument = new int[n];
        _result = new int[n];
        for (int i = 0; i < n; i++)
        {
            _f[i] = ops[i].F;
            _open[i] = ops[i].IsOpen;
            _argument[i] = _values.Id(ops[i].Value ?? "");
            _result[i] = _values.Id(ops[i].Result ?? "");
        }
    }

    public override int Initial => _empty;

    public override bool Step(int state, int op, out int next)
    {
        switch (_f[op])
        {
            case "get":
                next = state;
                return _open[op] || _result[op] == state;
            case "put":
                next = _argument[op];
                return true;
            default:
                if (!_appended.TryGetValue((state, _argument[op]), out next))
                {
                    next = _values.Id(_values.Value(state) + _values.Value(_argument[op]));
                    _appended.Add((state, _argument[op]), next);
                }

                return true;
        }
    }
}
