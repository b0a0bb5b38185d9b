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
