namespace FaultTolerant.Check;

/// <summary>
/// A register per key, as our Redis-like server keeps them. A key starts out not existing (nil).
/// read returns the value (nil if none); write sets it; cas [a b] sets b if the value is a, else answers
/// fail (<c>mismatch</c>); incr [d] treats nil as 0, adds d (default 1) and returns the new value, or
/// answers fail (<c>not-integer</c>) if the value is not an integer.
/// </summary>
internal class RegisterModel : Model
{
    public override string Name => "register";

    private protected virtual bool HasIncr => true;

    internal override void Validate(Operation op, string source)
    {
        switch (op.F)
        {
            case "read":
                break;
            case "write":
                if (op.Value is null)
                {
                    throw Mismatch(op, source, "a write needs a value");
                }

                break;
            case "cas":
                if (op.NewValue is null)
                {
                    throw Mismatch(op, source, "a cas needs [expected, new] with a non-nil new value");
                }

                break;
            case "incr" when HasIncr:
                if (op.Value is not null && !IntegerValue.TryParse(op.Value, out _))
                {
                    throw Mismatch(op, source, "an incr's delta must be an integer");
                }

                if (op.Status == OperationStatus.Ok && !IntegerValue.TryParse(op.Result, out _))
                {
                    throw Mismatch(op, source, "an incr answers ok with the new integer value");
                }

                break;
            default:
                throw Mismatch(op, source, $"no operation '{op.F}' (it has {(HasIncr ? "read, write, cas and incr" : "read, write and cas")})");
        }
    }

    internal override KeyMachine Compile(IReadOnlyList<Operation> ops) => new RegisterMachine(ops);

    // A value set by an open write or cas is seen only by a read that returned it, a cas that compared
    // with it, a cas that failed because the value was something else, or an incr (which reads numbers).
    internal override IReadOnlyList<Operation> Unseen(IReadOnlyList<Operation> ops)
    {
        if (ops.Any(o => o.F == "incr"))
        {
            return [];
        }

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var failedComparingWith = new Dictionary<string, int>(StringComparer.Ordinal);
        int failed = 0;
        foreach (var op in ops)
        {
            Count(seen, op.Result);
            if (op.F == "cas")
            {
                Count(seen, op.Value);
                if (op.Status == OperationStatus.Fail)
                {
                    failed++;
                    Count(failedComparingWith, op.Value);
                }
            }
        }

        return ops.Where(op =>
        {
            if (!op.IsOpen || op.F is not ("write" or "cas"))
            {
                return false;
            }

            string value = (op.F == "cas" ? op.NewValue : op.Value)!;
            int ownComparison = op.F == "cas" && op.Value == value ? 1 : 0;
            return seen.GetValueOrDefault(value) - ownComparison <= 0 && failed - failedComparingWith.GetValueOrDefault(value) <= 0;
        }).ToList();

        static void Count(Dictionary<string, int> counts, string? value)
        {
            if (value is not null)
            {
                counts[value] = counts.GetValueOrDefault(value) + 1;
            }
        }
    }
}
