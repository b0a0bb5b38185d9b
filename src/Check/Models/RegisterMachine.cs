using System.Globalization;

namespace FaultTolerant.Check;

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

/// <summary>One key of the register model, compiled: values interned, nil is 0.</summary>
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
