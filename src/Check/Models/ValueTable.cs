namespace FaultTolerant.Check;

/// <summary>Interns values as small integers; 0 is nil (the key does not exist).</summary>
internal sealed class ValueTable
{
    public const int Nil = 0;

    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<string?> _values = [null];

    public int Id(string? value)
    {
        if (value is null)
        {
            return Nil;
        }

        if (!_ids.TryGetValue(value, out int id))
        {
            id = _values.Count;
            _ids.Add(value, id);
            _values.Add(value);
        }

        return id;
    }

    public string? Value(int id) => _values[id];

    public int Count => _values.Count;
}
