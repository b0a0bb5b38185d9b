using System.Buffers.Binary;
using System.Text;

namespace FaultTolerant.Guest.State;

/// <summary>
/// Little-endian binary writer for guest state. Sized up front when the caller knows the size, so a
/// capture copies each page exactly once.
/// </summary>
public sealed class StateWriter(int capacity = 4096)
{
    // Uninitialized: every byte up to Length is written before it is read, and zeroing a large capture
    // buffer would cost as much as a third of the copy.
    private byte[] _buffer = GC.AllocateUninitializedArray<byte>(Math.Max(capacity, 16));

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    private Span<byte> Grab(int n)
    {
        if (_buffer.Length - Length < n) Array.Resize(ref _buffer, (int)Math.Min(Array.MaxLength, Math.Max(_buffer.Length * 2L, Length + (long)n)));
        var span = _buffer.AsSpan(Length, n);
        Length += n;
        return span;
    }

    /// <summary>The written bytes; the buffer itself when it was sized exactly.</summary>
    public byte[] ToArray() => Length == _buffer.Length ? _buffer : _buffer.AsSpan(0, Length).ToArray();

    /// <summary>A writable view of bytes already written (to fill in a header last).</summary>
    public Span<byte> Patch(int offset, int length) => _buffer.AsSpan(offset, length);

    public void U8(byte v) => Grab(1)[0] = v;

    public void Bool(bool v) => U8(v ? (byte)1 : (byte)0);

    public void I32(int v) => BinaryPrimitives.WriteInt32LittleEndian(Grab(4), v);

    public void U64(ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(Grab(8), v);

    public void I64(long v) => U64((ulong)v);

    public void Raw(ReadOnlySpan<byte> data) => data.CopyTo(Grab(data.Length));

    public void Bytes(ReadOnlySpan<byte> data)
    {
        I32(data.Length);
        Raw(data);
    }

    public void String(string s) => Bytes(Encoding.Latin1.GetBytes(s));
}
