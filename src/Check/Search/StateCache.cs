namespace FaultTolerant.Check;

/// <summary>
/// The set of (linearized operations, model state) configurations the search has already entered. Reaching
/// one again by another order can lead nowhere new, and skipping it is what keeps the search from being
/// factorial. Open addressing over flat arrays: one bitset row per entry, no per-entry allocation.
/// </summary>
internal sealed class StateCache
{
    private readonly int _words;
    private int[] _slots = new int[1024];
    private ulong[] _hashes = new ulong[512];
    private int[] _states = new int[512];
    private ulong[] _bits;

    public StateCache(int words)
    {
        _words = words;
        _bits = new ulong[512 * words];
    }

    public int Count { get; private set; }

    /// <summary>Adds the configuration; false if it was already there.</summary>
    /// <param name="setHash">A hash of <paramref name="bits"/> the caller maintains incrementally.</param>
    public bool Add(ReadOnlySpan<ulong> bits, ulong setHash, int state)
    {
        ulong hash = Mix(setHash ^ ((ulong)(uint)state * 0x9E3779B97F4A7C15UL));
        int mask = _slots.Length - 1;
        int slot = (int)(hash & (ulong)mask);
        while (_slots[slot] != 0)
        {
            int e = _slots[slot] - 1;
            if (_hashes[e] == hash && _states[e] == state && bits.SequenceEqual(_bits.AsSpan(e * _words, _words)))
            {
                return false;
            }

            slot = (slot + 1) & mask;
        }

        if (Count == _hashes.Length)
        {
            GrowEntries();
        }

        int entry = Count++;
        _hashes[entry] = hash;
        _states[entry] = state;
        bits.CopyTo(_bits.AsSpan(entry * _words, _words));
        _slots[slot] = entry + 1;
        if (Count * 2 > _slots.Length)
        {
            Rehash();
        }

        return true;
    }

    private void GrowEntries()
    {
        int size = _hashes.Length * 2;
        Array.Resize(ref _hashes, size);
        Array.Resize(ref _states, size);
        Array.Resize(ref _bits, size * _words);
    }

    private void Rehash()
    {
        var slots = new int[_slots.Length * 2];
        int mask = slots.Length - 1;
        for (int e = 0; e < Count; e++)
        {
            int slot = (int)(_hashes[e] & (ulong)mask);
            while (slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            slots[slot] = e + 1;
        }

        _slots = slots;
    }

    private static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDUL;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53UL;
        x ^= x >> 33;
        return x;
    }
}
