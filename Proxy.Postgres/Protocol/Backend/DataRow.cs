using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>
/// DataRow ('D'): one result row. Columns stay slices of the received buffer; enumerate
/// <see cref="Columns"/> to visit them without allocating (a NULL column has <see cref="WireValue.IsNull"/>).
/// </summary>
public readonly record struct DataRow(ValueList Columns)
{
    public const BackendMessageCode Code = BackendMessageCode.DataRow;

    public static bool TryParse(ReadOnlySequence<byte> body, out DataRow message)
    {
        var reader = new SequenceReader<byte>(body);
        if (ValueList.TryRead(ref reader, out var columns) && reader.End)
        {
            message = new DataRow(columns);
            return true;
        }

        message = default;
        return false;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var length = MessageSpanWriter.BodyLength(Columns.WireLength);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        Columns.Write(ref writer);
        output.Advance(writer.Position);
    }

    /// <param name="columns">One entry per column; null sends SQL NULL (length -1).</param>
    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte[]?> columns)
    {
        var length = MessageSpanWriter.BodyLength(ValueList.WireLengthOf(columns));
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        ValueList.Write(ref writer, columns);
        output.Advance(writer.Position);
    }
}
