using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>NegotiateProtocolVersion ('v'): the newest minor version the server speaks and the <c>_pq_.</c> options it does not know.</summary>
public readonly record struct NegotiateProtocolVersion(int NewestMinorVersion, IReadOnlyList<string> UnrecognizedOptions)
{
    public const BackendMessageCode Code = BackendMessageCode.NegotiateProtocolVersion;

    public static bool TryParse(ReadOnlySequence<byte> body, out NegotiateProtocolVersion message)
    {
        var reader = new SequenceReader<byte>(body);
        message = default;
        if (!PgBufferReader.TryReadInt32(ref reader, out var minor) || !PgBufferReader.TryReadInt32(ref reader, out var count) || count < 0)
        {
            return false;
        }

        var options = new List<string>();
        for (var i = 0; i < count; i++)
        {
            if (!PgBufferReader.TryReadCString(ref reader, out string option))
            {
                return false;
            }

            options.Add(option);
        }

        message = new NegotiateProtocolVersion(minor, options);
        return reader.End;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var length = 8 + UnrecognizedOptions.Sum(MessageSpanWriter.CStringLength);
        var writer = new MessageSpanWriter(output.GetSpan(5 + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteInt32(NewestMinorVersion);
        writer.WriteInt32(UnrecognizedOptions.Count);
        foreach (var option in UnrecognizedOptions)
        {
            writer.WriteCString(option);
        }

        output.Advance(writer.Position);
    }
}
