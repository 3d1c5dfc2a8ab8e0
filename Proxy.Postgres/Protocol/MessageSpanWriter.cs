using System.Buffers.Binary;
using System.Text;

namespace HoopProxy.Postgres.Protocol;

/// <summary>Writes protocol fields into a span sized in advance (callers compute the exact length first, so nothing is patched or copied).</summary>
public ref struct MessageSpanWriter
{
    private readonly Span<byte> _span;
    private int _position;

    public MessageSpanWriter(Span<byte> span)
    {
        _span = span;
        _position = 0;
    }

    public readonly int Position => _position;

    /// <summary>Writes the type byte and the length (body plus the four length bytes).</summary>
    public void WriteHeader(byte code, int bodyLength)
    {
        WriteByte(code);
        WriteInt32(bodyLength + 4);
    }

    public void WriteByte(byte value) => _span[_position++] = value;

    public void WriteInt16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_span[_position..], value);
        _position += 2;
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_span[_position..], value);
        _position += 4;
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_span[_position..]);
        _position += bytes.Length;
    }

    public void WriteCString(string value)
    {
        _position += Encoding.UTF8.GetBytes(value, _span[_position..]);
        _span[_position++] = 0;
    }

    public void WriteCString(ReadOnlySpan<byte> utf8)
    {
        WriteBytes(utf8);
        _span[_position++] = 0;
    }

    public static int CStringLength(string value) => Encoding.UTF8.GetByteCount(value) + 1;
}
