using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FaultTolerant.Replica.Codec;

/// <summary>
/// Bit masks over the page, bit i of word i / 64 for byte i: which bytes changed, and which belong to a
/// literal. Tokens are then found with a count of trailing zeros, not a byte loop.
/// </summary>
public static partial class PageCodec
{
    private const int MaskWords = PageSize / 64;

    // Layout of the per-thread mask buffer: a zero word, the change mask, a zero word (so the gap closing
    // can read each word's neighbours without a bounds test), then the literal mask.
    private const int ChangesAt = 1;
    private const int LiteralsAt = MaskWords + 2;

    [ThreadStatic]
    private static ulong[]? _masks;

    private static ulong[] Masks => _masks ??= new ulong[LiteralsAt + MaskWords];

    /// <summary>Sets the bits of the bytes where the page differs from the previous copy; returns how many do.</summary>
    private static int ComputeChangeMask(ReadOnlySpan<byte> page, ReadOnlySpan<byte> previous, Span<ulong> changes)
    {
        ref byte current = ref MemoryMarshal.GetReference(page);
        ref byte old = ref MemoryMarshal.GetReference(previous);
        int changed = 0;
        for (int word = 0; word < MaskWords; word++)
        {
            nuint offset = (nuint)word * 64;
            ulong equal;
            if (Vector512.IsHardwareAccelerated)
            {
                equal = Vector512.Equals(Vector512.LoadUnsafe(ref current, offset), Vector512.LoadUnsafe(ref old, offset))
                    .ExtractMostSignificantBits();
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                ulong low = Vector256.Equals(Vector256.LoadUnsafe(ref current, offset), Vector256.LoadUnsafe(ref old, offset))
                    .ExtractMostSignificantBits();
                ulong high = Vector256.Equals(Vector256.LoadUnsafe(ref current, offset + 32), Vector256.LoadUnsafe(ref old, offset + 32))
                    .ExtractMostSignificantBits();
                equal = low | (high << 32);
            }
            else
            {
                equal = 0;
                for (int lane = 0; lane < 4; lane++)
                {
                    nuint at = offset + ((nuint)lane * 16);
                    equal |= (ulong)Vector128.Equals(Vector128.LoadUnsafe(ref current, at), Vector128.LoadUnsafe(ref old, at))
                        .ExtractMostSignificantBits() << (lane * 16);
                }
            }

            changes[word] = ~equal;
            changed += BitOperations.PopCount(~equal);
        }

        return changed;
    }

    /// <summary>
    /// Writes the literal mask: the changed bytes plus every unchanged stretch of one or two bytes between
    /// them, because a new token costs two varint bytes and only pays from a three-byte run on.
    /// </summary>
    /// <param name="padded">The change mask with a zero word before and after it.</param>
    private static void CloseShortGaps(ReadOnlySpan<ulong> padded, Span<ulong> literals)
    {
        ref ulong changes = ref MemoryMarshal.GetReference(padded);
        ref ulong result = ref MemoryMarshal.GetReference(literals);
        for (int word = 0; word < MaskWords; word += Vector<ulong>.Count)
        {
            var before = Vector.LoadUnsafe(ref changes, (nuint)word);
            var current = Vector.LoadUnsafe(ref changes, (nuint)word + 1);
            var after = Vector.LoadUnsafe(ref changes, (nuint)word + 2);
            // Bit i of leftK is bit i-K of the page-wide mask; bit i of rightK is bit i+K.
            var left1 = Vector.ShiftLeft(current, 1) | Vector.ShiftRightLogical(before, 63);
            var left2 = Vector.ShiftLeft(current, 2) | Vector.ShiftRightLogical(before, 62);
            var right1 = Vector.ShiftRightLogical(current, 1) | Vector.ShiftLeft(after, 63);
            var right2 = Vector.ShiftRightLogical(current, 2) | Vector.ShiftLeft(after, 62);
            (current | (left1 & (right1 | right2)) | (left2 & right1)).StoreUnsafe(ref result, (nuint)word);
        }
    }

    /// <summary>A lower bound on the body for a literal mask: its literal bytes plus two varint bytes per token.</summary>
    private static int MinimumBodySize(ReadOnlySpan<ulong> literals)
    {
        int size = 0;
        ulong before = 0;
        foreach (ulong word in literals)
        {
            size += BitOperations.PopCount(word) + (2 * BitOperations.PopCount(word & ~((word << 1) | (before >> 63))));
            before = word;
        }

        return size;
    }

    /// <summary>The first set bit at or after <paramref name="position"/>, or <see cref="PageSize"/>.</summary>
    private static int NextSet(ReadOnlySpan<ulong> mask, int position) => NextBit(mask, position, 0);

    /// <summary>The first clear bit at or after <paramref name="position"/>, or <see cref="PageSize"/>.</summary>
    private static int NextClear(ReadOnlySpan<ulong> mask, int position) => NextBit(mask, position, ulong.MaxValue);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int NextBit(ReadOnlySpan<ulong> mask, int position, ulong invert)
    {
        int word = position >> 6;
        if (word >= MaskWords)
        {
            return PageSize;
        }

        ref ulong words = ref MemoryMarshal.GetReference(mask);
        ulong bits = (Unsafe.Add(ref words, word) ^ invert) & (ulong.MaxValue << (position & 63));
        while (bits == 0)
        {
            if (++word == MaskWords)
            {
                return PageSize;
            }

            bits = Unsafe.Add(ref words, word) ^ invert;
        }

        return (word << 6) + BitOperations.TrailingZeroCount(bits);
    }
}
