using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>ParameterStatus ('S'): the server reports a run-time parameter (client_encoding, server_version …).</summary>
public readonly record struct ParameterStatus(string Name, string Value)
{
    public const BackendMessageCode Code = BackendMessageCode.ParameterStatus;

    public static bool TryParse(ReadOnlySequence<byte> body, out ParameterStatus message)
    {
        var reader = new SequenceReader<byte>(body);
        if (PgBufferReader.TryReadCString(ref reader, out string name)
            && PgBufferReader.TryReadCString(ref reader, out string value)
            && reader.End)
        {
            message = new ParameterStatus(name, value);
            return true;
        }

        message = default;
        return false;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var length = MessageSpanWriter.CStringLength(Name) + MessageSpanWriter.CStringLength(Value);
        var writer = new MessageSpanWriter(output.GetSpan(5 + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteCString(Name);
        writer.WriteCString(Value);
        output.Advance(writer.Position);
    }
}
