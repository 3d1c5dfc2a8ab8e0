using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>
/// One column of a RowDescription. <see cref="TableOid"/> and <see cref="ColumnAttributeNumber"/> are 0
/// when the column is not a plain table column; <see cref="TypeSize"/> is negative for variable-width types.
/// </summary>
public readonly record struct FieldDescription(
    string Name,
    uint TableOid,
    short ColumnAttributeNumber,
    uint TypeOid,
    short TypeSize,
    int TypeModifier,
    short FormatCode)
{
    /// <summary>Name, NUL, and the fixed 18 bytes that follow it.</summary>
    internal int WireLength => MessageSpanWriter.CStringLength(Name) + 18;

    internal static bool TryRead(ref SequenceReader<byte> reader, out FieldDescription field)
    {
        if (PgBufferReader.TryReadCString(ref reader, out string name)
            && PgBufferReader.TryReadInt32(ref reader, out var table)
            && PgBufferReader.TryReadInt16(ref reader, out var column)
            && PgBufferReader.TryReadInt32(ref reader, out var type)
            && PgBufferReader.TryReadInt16(ref reader, out var size)
            && PgBufferReader.TryReadInt32(ref reader, out var modifier)
            && PgBufferReader.TryReadInt16(ref reader, out var format))
        {
            field = new FieldDescription(name, (uint)table, column, (uint)type, size, modifier, format);
            return true;
        }

        field = default;
        return false;
    }

    internal void Write(ref MessageSpanWriter writer)
    {
        writer.WriteCString(Name);
        writer.WriteInt32((int)TableOid);
        writer.WriteInt16(ColumnAttributeNumber);
        writer.WriteInt32((int)TypeOid);
        writer.WriteInt16(TypeSize);
        writer.WriteInt32(TypeModifier);
        writer.WriteInt16(FormatCode);
    }
}

/// <summary>
/// RowDescription ('T'): the columns of the rows that follow. Sent once per result, so the column names are
/// decoded to strings here: masking rules match on them.
/// </summary>
public readonly record struct RowDescription(IReadOnlyList<FieldDescription> Fields)
{
    public const BackendMessageCode Code = BackendMessageCode.RowDescription;

    /// <summary>The smallest field on the wire: an empty name (one NUL) and the fixed part.</summary>
    private const int MinimumFieldLength = 19;

    public static bool TryParse(ReadOnlySequence<byte> body, out RowDescription message)
    {
        var reader = new SequenceReader<byte>(body);
        message = default;
        if (!reader.TryReadBigEndian(out short rawCount))
        {
            return false;
        }

        // Counts are unsigned on the wire. Capacity is bounded by what the body can hold, so a lying count cannot make us allocate.
        var count = (ushort)rawCount;
        if (count > reader.Remaining / MinimumFieldLength)
        {
            return false;
        }

        var fields = new FieldDescription[count];
        for (var i = 0; i < count; i++)
        {
            if (!FieldDescription.TryRead(ref reader, out fields[i]))
            {
                return false;
            }
        }

        if (!reader.End)
        {
            return false;
        }

        message = new RowDescription(fields);
        return true;
    }

    public void WriteTo(IBufferWriter<byte> output) => Write(output, Fields);

    public static void Write(IBufferWriter<byte> output, IReadOnlyList<FieldDescription> fields)
    {
        ValueList.CheckCount(fields.Count);
        var length = 2L;
        foreach (var field in fields)
        {
            length += field.WireLength;
        }

        var bodyLength = MessageSpanWriter.BodyLength(length);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + bodyLength));
        writer.WriteHeader((byte)Code, bodyLength);
        writer.WriteInt16((short)fields.Count);
        foreach (var field in fields)
        {
            field.Write(ref writer);
        }

        output.Advance(writer.Position);
    }
}
