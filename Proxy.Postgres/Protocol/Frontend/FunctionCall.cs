using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>
/// FunctionCall ('F'): the legacy fast-path call of a function by OID (large objects still use it).
/// Argument values stay slices of the received buffer.
/// </summary>
public readonly record struct FunctionCall(uint FunctionOid, FormatCodeList ArgumentFormats, ValueList Arguments, short ResultFormat)
{
    public const FrontendMessageCode Code = FrontendMessageCode.FunctionCall;

    public static bool TryParse(ReadOnlySequence<byte> body, out FunctionCall message)
    {
        var reader = new SequenceReader<byte>(body);
        if (PgBufferReader.TryReadInt32(ref reader, out var oid)
            && FormatCodeList.TryRead(ref reader, out var formats)
            && ValueList.TryRead(ref reader, out var arguments)
            && PgBufferReader.TryReadInt16(ref reader, out var resultFormat)
            && reader.End)
        {
            message = new FunctionCall((uint)oid, formats, arguments, resultFormat);
            return true;
        }

        message = default;
        return false;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var length = MessageSpanWriter.BodyLength(4L + ArgumentFormats.WireLength + Arguments.WireLength + 2);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteInt32((int)FunctionOid);
        ArgumentFormats.Write(ref writer);
        Arguments.Write(ref writer);
        writer.WriteInt16(ResultFormat);
        output.Advance(writer.Position);
    }

    /// <param name="arguments">One entry per argument; null sends SQL NULL (length -1).</param>
    public static void Write(IBufferWriter<byte> output, uint functionOid, ReadOnlySpan<short> argumentFormats, ReadOnlySpan<byte[]?> arguments, short resultFormat)
    {
        var length = MessageSpanWriter.BodyLength(4L + FormatCodeList.WireLengthOf(argumentFormats) + ValueList.WireLengthOf(arguments) + 2);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteInt32((int)functionOid);
        FormatCodeList.Write(ref writer, argumentFormats);
        ValueList.Write(ref writer, arguments);
        writer.WriteInt16(resultFormat);
        output.Advance(writer.Position);
    }
}
