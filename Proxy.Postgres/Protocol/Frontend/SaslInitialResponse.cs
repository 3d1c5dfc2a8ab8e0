using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>SASLInitialResponse ('p'): the chosen mechanism and the client-first message (length -1 means none).</summary>
public readonly record struct SaslInitialResponse(string Mechanism, ReadOnlySequence<byte> Data)
{
    public const FrontendMessageCode Code = FrontendMessageCode.Password;

    public static bool TryParse(ReadOnlySequence<byte> body, out SaslInitialResponse message)
    {
        var reader = new SequenceReader<byte>(body);
        message = default;
        if (!PgBufferReader.TryReadCString(ref reader, out string mechanism) || !PgBufferReader.TryReadInt32(ref reader, out var length))
        {
            return false;
        }

        if (length == -1)
        {
            message = new SaslInitialResponse(mechanism, ReadOnlySequence<byte>.Empty);
            return reader.End;
        }

        if (!PgBufferReader.TryReadBytes(ref reader, length, out var data) || !reader.End)
        {
            return false;
        }

        message = new SaslInitialResponse(mechanism, data);
        return true;
    }

    public static void Write(IBufferWriter<byte> output, string mechanism, ReadOnlySpan<byte> data)
    {
        var length = MessageSpanWriter.CStringLength(mechanism) + 4 + data.Length;
        var writer = new MessageSpanWriter(output.GetSpan(5 + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteCString(mechanism);
        writer.WriteInt32(data.Length);
        writer.WriteBytes(data);
        output.Advance(writer.Position);
    }
}
