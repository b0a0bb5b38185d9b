using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FaultTolerant.Replica.Encoding;

/// <summary>The vectorized scans: which bytes changed, and XOR of byte ranges.</summary>
public static partial class PageCodec
{
    private const int MaskWords = PageSize / 64;

    /// <summary>
    /// Sets bit i of <paramref name="changed"/> (word i / 64) where the page differs from the previous copy;
    /// returns whether any does. Both inputs are exactly one page.
    /// </summary>
    private static bool ComputeChangeMask(ReadOnlySpan<byte> page, ReadOnlySpan<byte> previous, Span<ulong> changed)
    {
        ref byte current = ref MemoryMarshal.GetReference(page);
        ref byte old = ref MemoryMarshal.GetReference(previous);
        ulong any = 0;
        for (int word = 0; word < MaskWords; word++)
        {
            nuint offset = (nuint)word * 64;
            ulong bits;
            if (Vector512.IsHardwareAccelerated)
            {
                bits = ~Vector512.Equals(Vector512.LoadUnsafe(ref current, offset), Vector512.LoadUnsafe(ref old, offset))
                    .ExtractMostSignificantBits();
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                ulong low = Vector256.Equals(Vector256.LoadUnsafe(ref current, offset), Vector256.LoadUnsafe(ref old, offset))
                    .ExtractMostSignificantBits();
                ulong high = Vector256.Equals(Vector256.LoadUnsafe(ref current, offset + 32), Vector256.LoadUnsafe(ref old, offset + 32))
                    .ExtractMostSignificantBits();
                bits = ~(low | (high << 32));
            }
            else
            {
                ulong equal = 0;
                for (int lane = 0; lane < 4; lane++)
                {
                    nuint at = offset + ((nuint)lane * 16);
                    equal |= (ulong)Vector128.Equals(Vector128.LoadUnsafe(ref current, at), Vector128.LoadUnsafe(ref old, at))
                        .ExtractMostSignificantBits() << (lane * 16);
                }

                bits = ~equal;
            }

            changed[word] = bits;
            any |= bits;
        }

        return any != 0;
    }

    /// <summary>The first changed byte at or after <paramref name="position"/>, or <see cref="PageSize"/>.</summary>
    private static int NextChanged(ReadOnlySpan<ulong> changed, int position) => NextBit(changed, position, 0);

    /// <summary>The first unchanged byte at or after <paramref name="position"/>, or <see cref="PageSize"/>.</summary>
    private static int NextUnchanged(ReadOnlySpan<ulong> changed, int position) => NextBit(changed, position, ulong.MaxValue);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int NextBit(ReadOnlySpan<ulong> changed, int position, ulong invert)
    {
        int word = position >> 6;
        if (word >= MaskWords)
        {
            return PageSize;
        }

        ulong bits = (changed[word] ^ invert) & (ulong.MaxValue << (position & 63));
        while (bits == 0)
        {
            if (++word == MaskWords)
            {
                return PageSize;
            }

            bits = changed[word] ^ invert;
        }

        return (word << 6) + BitOperations.TrailingZeroCount(bits);
    }

    /// <summary>
    /// <paramref name="destination"/> = <paramref name="left"/> XOR <paramref name="right"/>, all the same length.
    /// The destination may be exactly the memory of an input (each byte is read before it is written and never
    /// read again), but must not otherwise overlap one.
    /// </summary>
    private static void Xor(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        ref byte a = ref MemoryMarshal.GetReference(left);
        ref byte b = ref MemoryMarshal.GetReference(right);
        ref byte d = ref MemoryMarshal.GetReference(destination);
        nuint length = (nuint)destination.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; length - i >= 64; i += 64)
            {
                (Vector512.LoadUnsafe(ref a, i) ^ Vector512.LoadUnsafe(ref b, i)).StoreUnsafe(ref d, i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; length - i >= 32; i += 32)
            {
                (Vector256.LoadUnsafe(ref a, i) ^ Vector256.LoadUnsafe(ref b, i)).StoreUnsafe(ref d, i);
            }
        }

        for (; length - i >= 16; i += 16)
        {
            (Vector128.LoadUnsafe(ref a, i) ^ Vector128.LoadUnsafe(ref b, i)).StoreUnsafe(ref d, i);
        }

        // The tail in shrinking power-of-two steps rather than one overlapping vector, which would
        // re-read bytes already written when decoding in place.
        if (length - i >= 8)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, i), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref a, i)) ^ Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, i)));
            i += 8;
        }

        if (length - i >= 4)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, i), Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref a, i)) ^ Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref b, i)));
            i += 4;
        }

        if (length - i >= 2)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, i), (ushort)(Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref a, i)) ^ Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref b, i))));
            i += 2;
        }

        if (length - i >= 1)
        {
            Unsafe.Add(ref d, i) = (byte)(Unsafe.Add(ref a, i) ^ Unsafe.Add(ref b, i));
        }
    }
}
