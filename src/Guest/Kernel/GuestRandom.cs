using System.Buffers.Binary;
using System.Numerics;

namespace FaultTolerant.Guest.Kernel;

/// <summary>
/// The guest's entropy source (getrandom, /dev/urandom, AT_RANDOM): xoshiro256** seeded once from the host.
/// Its state is guest state, so a restored guest draws the same bytes the original would have.
/// </summary>
internal sealed class GuestRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public GuestRandom(ulong seed)
    {
        // SplitMix64 expands the seed into a state that is never all zero.
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    public (ulong, ulong, ulong, ulong) State
    {
        get => (_s0, _s1, _s2, _s3);
        set => (_s0, _s1, _s2, _s3) = value;
    }

    public ulong Next()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    public void Fill(Span<byte> destination)
    {
        Span<byte> word = stackalloc byte[8];
        for (int i = 0; i < destination.Length; i += 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(word, Next());
            word[..Math.Min(8, destination.Length - i)].CopyTo(destination[i..]);
        }
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
