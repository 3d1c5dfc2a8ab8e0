using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>
/// Bind ('B'): creates a portal from a prepared statement. Parameter formats may list zero codes (all text),
/// one (applies to all) or one per parameter; the same holds for result formats. Parameter values stay
/// slices of the received buffer.
/// </summary>
public readonly record struct Bind(
    string PortalName,
    string StatementName,
    FormatCodeList ParameterFormats,
    ValueList Parameters,
    FormatCodeList ResultFormats)
{
    public const FrontendMessageCode Code = FrontendMessageCode.Bind;

    public static bool TryParse(ReadOnlySequence<byte> body, out Bind message)
    {
        var reader = new SequenceReader<byte>(body);
        if (PgBufferReader.TryReadCString(ref reader, out string portal)
            && PgBufferReader.TryReadCString(ref reader, out string statement)
            && FormatCodeList.TryRead(ref reader, out var parameterFormats)
            && ValueList.TryRead(ref reader, out var parameters)
            && FormatCodeList.TryRead(ref reader, out var resultFormats)
            && reader.End)
        {
            message = new Bind(portal, statement, parameterFormats, parameters, resultFormats);
            return true;
        }

        message = default;
        return false;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var length = MessageSpanWriter.BodyLength(
            (long)MessageSpanWriter.CStringLength(PortalName) + MessageSpanWriter.CStringLength(StatementName)
            + ParameterFormats.WireLength + Parameters.WireLength + ResultFormats.WireLength);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteCString(PortalName);
        writer.WriteCString(StatementName);
        ParameterFormats.Write(ref writer);
        Parameters.Write(ref writer);
        ResultFormats.Write(ref writer);
        output.Advance(writer.Position);
    }

    /// <param name="parameters">One entry per parameter; null sends SQL NULL (length -1).</param>
    public static void Write(
        IBufferWriter<byte> output,
        string portalName,
        string statementName,
        ReadOnlySpan<short> parameterFormats,
        ReadOnlySpan<byte[]?> parameters,
        ReadOnlySpan<short> resultFormats)
    {
        var length = MessageSpanWriter.BodyLength(
            (long)MessageSpanWriter.CStringLength(portalName) + MessageSpanWriter.CStringLength(statementName)
            + FormatCodeList.WireLengthOf(parameterFormats) + ValueList.WireLengthOf(parameters) + FormatCodeList.WireLengthOf(resultFormats));
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteCString(portalName);
        writer.WriteCString(statementName);
        FormatCodeList.Write(ref writer, parameterFormats);
        ValueList.Write(ref writer, parameters);
        FormatCodeList.Write(ref writer, resultFormats);
        output.Advance(writer.Position);
    }
}
