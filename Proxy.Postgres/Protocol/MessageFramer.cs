using System.Buffers;
using System.Buffers.Binary;

namespace HoopProxy.Postgres.Protocol;

/// <summary>Cuts typed messages (type byte, Int32 length, body) out of buffered bytes without copying them.</summary>
public static class MessageFramer
{
    /// <inheritdoc cref="TryReadMessage(ref SequenceReader{byte}, int, string, out byte, out ReadOnlySequence{byte})"/>
    public static bool TryReadMessage(ref SequenceReader<byte> reader, int maxLength, out byte code, out ReadOnlySequence<byte> body) =>
        TryReadMessage(ref reader, maxLength, "peer", out code, out body);

    /// <summary>
    /// Reads one whole message; false, with the reader untouched, while it is incomplete. The header is
    /// validated as soon as its five bytes are there, so a hostile length is refused before anyone waits
    /// (or buffers) for a body that may never come.
    /// </summary>
    /// <exception cref="PostgresProtocolException">The length is below four or above <paramref name="maxLength"/>.</exception>
    public static bool TryReadMessage(ref SequenceReader<byte> reader, int maxLength, string peer, out byte code, out ReadOnlySequence<byte> body)
    {
        Span<byte> bytes = stackalloc byte[MessageHeader.Size];
        if (!reader.TryCopyTo(bytes))
        {
            code = 0;
            body = default;
            return false;
        }

        var header = new MessageHeader(bytes[0], BinaryPrimitives.ReadInt32BigEndian(bytes[1..]));
        header.Validate(maxLength, peer);
        if (reader.Remaining < header.TotalLength)
        {
            code = 0;
            body = default;
            return false;
        }

        code = header.Code;
        body = reader.UnreadSequence.Slice(MessageHeader.Size, header.BodyLength);
        reader.Advance(header.TotalLength);
        return true;
    }
}
