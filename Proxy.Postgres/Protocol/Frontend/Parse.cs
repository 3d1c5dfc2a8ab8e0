using System.Buffers;
using System.Text;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>
/// Parse ('P'): prepares a statement (empty name = the unnamed statement) with optional parameter type
/// OIDs (0 = let the server infer). The query text is kept as a slice.
/// </summary>
public readonly record struct Parse(string StatementName, ReadOnlySequence<byte> QueryText, OidList ParameterTypes)
{
    public const FrontendMessageCode Code = FrontendMessageCode.Parse;

    public static bool TryParse(ReadOnlySequence<byte> body, out Parse message)
    {
        var reader = new SequenceReader<byte>(body);
        if (PgBufferReader.TryReadCString(ref reader, out string name)
            && PgBufferReader.TryReadCString(ref reader, out ReadOnlySequence<byte> query)
            && OidList.TryRead(ref reader, out var types)
            && reader.End)
        {
            message = new Parse(name, query, types);
            return true;
        }

        message = default;
        return false;
    }

    public string QueryString() => Encoding.UTF8.GetString(QueryText);

    public void WriteTo(IBufferWriter<byte> output)
    {
        var length = MessageSpanWriter.BodyLength(MessageSpanWriter.CStringLength(StatementName) + QueryText.Length + 1 + ParameterTypes.WireLength);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteCString(StatementName);
        writer.WriteCString(QueryText);
        ParameterTypes.Write(ref writer);
        output.Advance(writer.Position);
    }

    public static void Write(IBufferWriter<byte> output, string statementName, string query, ReadOnlySpan<uint> parameterTypes)
    {
        var queryBytes = Encoding.UTF8.GetBytes(query);
        var length = MessageSpanWriter.BodyLength(
            (long)MessageSpanWriter.CStringLength(statementName) + MessageSpanWriter.CStringLength(queryBytes) + OidList.WireLengthOf(parameterTypes));
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteCString(statementName);
        writer.WriteCString(queryBytes);
        OidList.Write(ref writer, parameterTypes);
        output.Advance(writer.Position);
    }
}
