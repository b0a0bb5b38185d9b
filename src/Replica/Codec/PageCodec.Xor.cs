using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FaultTolerant.Replica.Codec;

/// <summary>XOR of byte ranges: literals on encode, and into the previous copy on decode.</summary>
public static partial class PageCodec
{
    /// <summary>Literals up to this long are XORed with one fixed-width operation (see <see cref="XorShort"/>).</summary>
    private const int ShortLiteral = 32;

    /// <summary>32 bytes of 0xFF then 32 of 0x00: read from 32 - n, the first n bytes are set.</summary>
    private static ReadOnlySpan<byte> LiteralMask =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

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

    /// <summary>
    /// Writes <see cref="ShortLiteral"/> bytes of <paramref name="left"/> XOR <paramref name="right"/>; the caller
    /// has checked that all three ranges hold that many bytes and uses only the first ones it needs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void XorShort(ref byte left, ref byte right, ref byte destination)
    {
        (Vector128.LoadUnsafe(ref left) ^ Vector128.LoadUnsafe(ref right)).StoreUnsafe(ref destination);
        (Vector128.LoadUnsafe(ref left, 16) ^ Vector128.LoadUnsafe(ref right, 16)).StoreUnsafe(ref destination, 16);
    }

    /// <summary>
    /// XORs the first <paramref name="length"/> (1 to <see cref="ShortLiteral"/>) bytes of <paramref name="literal"/>
    /// into <paramref name="destination"/>, touching <see cref="ShortLiteral"/> bytes of each: the bytes past
    /// <paramref name="length"/> are XORed with zero, so they read and write back unchanged.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void XorShortInPlace(ref byte destination, ref byte literal, int length)
    {
        ref byte mask = ref Unsafe.Add(ref MemoryMarshal.GetReference(LiteralMask), ShortLiteral - length);
        var low = Vector128.LoadUnsafe(ref literal) & Vector128.LoadUnsafe(ref mask);
        var high = Vector128.LoadUnsafe(ref literal, 16) & Vector128.LoadUnsafe(ref mask, 16);
        (Vector128.LoadUnsafe(ref destination) ^ low).StoreUnsafe(ref destination);
        (Vector128.LoadUnsafe(ref destination, 16) ^ high).StoreUnsafe(ref destination, 16);
    }
}
