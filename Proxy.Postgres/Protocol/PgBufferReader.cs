using System.Buffers;
using System.Text;

namespace HoopProxy.Postgres.Protocol;

/// <summary>Field readers over a message body; each returns false on a short or malformed body and reads nothing more.</summary>
public static class PgBufferReader
{
    public static bool TryReadInt16(ref SequenceReader<byte> reader, out short value) => reader.TryReadBigEndian(out value);

    public static bool TryReadInt32(ref SequenceReader<byte> reader, out int value) => reader.TryReadBigEndian(out value);

    /// <summary>A NUL-terminated string as a slice of the buffer (no copy); the NUL is consumed.</summary>
    public static bool TryReadCString(ref SequenceReader<byte> reader, out ReadOnlySequence<byte> value) =>
        reader.TryReadTo(out value, (byte)0, advancePastDelimiter: true);

    public static bool TryReadCString(ref SequenceReader<byte> reader, out string value)
    {
        if (TryReadCString(ref reader, out ReadOnlySequence<byte> bytes))
        {
            value = Encoding.UTF8.GetString(bytes);
            return true;
        }

        value = "";
        return false;
    }

    public static bool TryReadBytes(ref SequenceReader<byte> reader, int length, out ReadOnlySequence<byte> value)
    {
        if (length < 0 || reader.Remaining < length)
        {
            value = default;
            return false;
        }

        value = reader.UnreadSequence.Slice(0, length);
        reader.Advance(length);
        return true;
    }
}
