using System.Buffers;
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

    /// <summary>Copies a slice kept from a parsed message, segment by segment, so large values are never flattened first.</summary>
    public void WriteBytes(in ReadOnlySequence<byte> bytes)
    {
        foreach (var segment in bytes)
        {
            WriteBytes(segment.Span);
        }
    }

    public void WriteCString(in ReadOnlySequence<byte> utf8)
    {
        WriteBytes(utf8);
        _span[_position++] = 0;
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

    /// <summary>
    /// Bytes a string takes as a C string. A NUL inside would end the field early and shift every later
    /// field, so the peer would misread the rest of the message: such text is refused here, where every
    /// writer computes its length before writing anything.
    /// </summary>
    public static int CStringLength(string value)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("a protocol string field cannot contain a NUL character", nameof(value));
        }

        return Encoding.UTF8.GetByteCount(value) + 1;
    }

    /// <inheritdoc cref="CStringLength(string)"/>
    public static int CStringLength(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Contains((byte)0))
        {
            throw new ArgumentException("a protocol string field cannot contain a NUL byte", nameof(utf8));
        }

        return utf8.Length + 1;
    }

    /// <summary>
    /// The body length of a message built from caller data, checked so that the length field (which counts
    /// itself) still fits an Int32: a silent overflow would put a negative length on the wire.
    /// </summary>
    public static int BodyLength(long bodyLength)
    {
        if (bodyLength < 0 || bodyLength > int.MaxValue - 4)
        {
            throw new ArgumentOutOfRangeException(nameof(bodyLength), bodyLength, "a protocol message body must be shorter than 2 GB");
        }

        return (int)bodyLength;
    }
}
