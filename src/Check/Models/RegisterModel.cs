using System.Globalization;

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

/// <summary>Jepsen's etcd test as Porcupine checks it: one register, read/write/cas, keys ignored.</summary>
internal sealed class EtcdModel : RegisterModel
{
    public override string Name => "etcd";

    private protected override bool HasIncr => false;

    internal override string? PartitionKey(Operation op) => null;
}

/// <summary>Integers as the register model reads them: a decimal 64-bit number in its shortest form.</summary>
internal static class IntegerValue
{
    public static bool TryParse(string? text, out long value)
    {
        value = 0;
        return text is not null && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}

internal sealed class RegisterMachine : KeyMachine
{
    private enum Kind : byte
    {
        Read,
        Write,
        Cas,
        Incr,
    }

    private readonly ValueTable _values = new();
    private readonly Kind[] _kind;
    private readonly OperationStatus[] _status;
    private readonly int[] _argument;
    private readonly int[] _newValue;
    private readonly int[] _result;
    private readonly long[] _delta;

    // Parsed integer of each interned value: unparsed, an integer, or not an integer.
    private readonly List<long?> _integers = [];
    private readonly List<bool> _parsed = [];

    public RegisterMachine(IReadOnlyList<Operation> ops)
    {
        int n = ops.Count;
        _kind = new Kind[n];
        _status = new OperationStatus[n];
        _argument = new int[n];
        _newValue = new int[n];
        _result = new int[n];
        _delta = new long[n];
        for (int i = 0; i < n; i++)
        {
            var op = ops[i];
            _status[i] = op.Status;
            _kind[i] = op.F switch
            {
                "read" => Kind.Read,
                "write" => Kind.Write,
                "cas" => Kind.Cas,
                _ => Kind.Incr,
            };
            if (_kind[i] == Kind.Incr)
            {
                _delta[i] = IntegerValue.TryParse(op.Value, out long d) ? d : 1;
                _result[i] = op.Status == OperationStatus.Ok && IntegerValue.TryParse(op.Result, out long r)
                    ? _values.Id(IntegerValue.Format(r))
                    : ValueTable.Nil;
            }
            else
            {
                _argument[i] = _values.Id(op.Value);
                _newValue[i] = _values.Id(op.NewValue);
                _result[i] = _values.Id(op.Result);
            }
        }
    }

    public override int Initial => ValueTable.Nil;

    public override bool Step(int state, int op, out int next)
    {
        var status = _status[op];
        switch (_kind[op])
        {
            case Kind.Read:
                next = state;
                return status == OperationStatus.Open || _result[op] == state;
            case Kind.Write:
                next = _argument[op];
                return true;
            case Kind.Cas:
                bool match = state == _argument[op];
                next = match ? _newValue[op] : state;
                return status == OperationStatus.Open || (status == OperationStatus.Ok) == match;
            default:
                return StepIncr(state, op, status, out next);
        }
    }

    private bool StepIncr(int state, int op, OperationStatus status, out int next)
    {
        next = state;
        if (!TryInteger(state, out long current))
        {
            return status != OperationStatus.Ok;
        }

        long updated;
        try
        {
            updated = checked(current + _delta[op]);
        }
        catch (OverflowException)
        {
            // Redis refuses an increment that would overflow, leaving the value as it was.
            return status != OperationStatus.Ok;
        }

        if (status == OperationStatus.Fail)
        {
            return false;
        }

        next = _values.Id(IntegerValue.Format(updated));
        return status == OperationStatus.Open || next == _result[op];
    }

    private bool TryInteger(int id, out long value)
    {
        value = 0;
        if (id == ValueTable.Nil)
        {
            return true;
        }

        while (_parsed.Count <= id)
        {
            _parsed.Add(false);
            _integers.Add(null);
        }

        if (!_parsed[id])
        {
            _parsed[id] = true;
            _integers[id] = IntegerValue.TryParse(_values.Value(id), out long v) ? v : null;
        }

        value = _integers[id] ?? 0;
        return _integers[id].HasValue;
    }
}
