using System.Buffers;

namespace HoopProxy.Postgres.Protocol;

/// <summary>
/// One length-prefixed value as it travels in Bind, DataRow, FunctionCall and FunctionCallResponse:
/// an Int32 length (-1 for NULL) and the bytes, kept as a slice of the received buffer.
/// </summary>
public readonly record struct WireValue(ReadOnlySequence<byte> Data, bool IsNull)
{
    public static WireValue Null => new(ReadOnlySequence<byte>.Empty, true);

    /// <summary>The length field as on the wire: -1 for NULL.</summary>
    public int Length => IsNull ? -1 : (int)Data.Length;

    /// <summary>Bytes on the wire, length field included. A NULL carries no bytes, whatever <see cref="Data"/> holds.</summary>
    public long WireLength => IsNull ? 4 : 4 + Data.Length;

    internal static bool TryRead(ref SequenceReader<byte> reader, out WireValue value)
    {
        value = default;
        if (!PgBufferReader.TryReadInt32(ref reader, out var length))
        {
            return false;
        }

        if (length == -1)
        {
            value = Null;
            return true;
        }

        // Any other negative length is malformed; PostgreSQL refuses it too ("invalid length").
        if (!PgBufferReader.TryReadBytes(ref reader, length, out var data))
        {
            return false;
        }

        value = new WireValue(data, false);
        return true;
    }

    internal void Write(ref MessageSpanWriter writer)
    {
        writer.WriteInt32(Length);
        if (!IsNull)
        {
            writer.WriteBytes(Data);
        }
    }

    internal static long WireLengthOf(byte[]? value) => 4L + (value?.Length ?? 0);

    internal static void Write(ref MessageSpanWriter writer, byte[]? value)
    {
        if (value is null)
        {
            writer.WriteInt32(-1);
            return;
        }

        writer.WriteInt32(value.Length);
        writer.WriteBytes(value);
    }
}
