using System.Buffers;
using System.Buffers.Binary;

namespace HoopProxy.Postgres.Protocol;

/// <summary>The five bytes in front of every typed message: the type byte and a length that counts itself but not the type.</summary>
public readonly record struct MessageHeader(byte Code, int Length)
{
    public const int Size = 5;

    /// <summary>Bytes the whole message occupies on the wire, type byte included.</summary>
    public long TotalLength => 1L + Length;

    public int BodyLength => Length - 4;

    /// <summary>Reads a header at the start of <paramref name="buffer"/>; false when fewer than five bytes are there. Never validates.</summary>
    public static bool TryRead(in ReadOnlySequence<byte> buffer, out MessageHeader header)
    {
        var first = buffer.FirstSpan;
        if (first.Length >= Size)
        {
            header = new MessageHeader(first[0], BinaryPrimitives.ReadInt32BigEndian(first[1..]));
            return true;
        }

        if (buffer.Length < Size)
        {
            header = default;
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        buffer.Slice(0, Size).CopyTo(bytes);
        header = new MessageHeader(bytes[0], BinaryPrimitives.ReadInt32BigEndian(bytes[1..]));
        return true;
    }

    /// <summary>Rejects a length below four (impossible) or above the limit, before the body is waited for.</summary>
    public void Validate(int maxMessageBytes, string peer)
    {
        if (Length < 4)
        {
            throw new PostgresProtocolException(SqlState.ProtocolViolation,
                $"invalid message length {(uint)Length} from the {peer} (message type '{(char)Code}')");
        }

        if (Length > maxMessageBytes)
        {
            throw new PostgresProtocolException(SqlState.ProgramLimitExceeded,
                $"message of {Length} bytes from the {peer} exceeds the limit of {maxMessageBytes} bytes (message type '{(char)Code}')");
        }
    }
}
