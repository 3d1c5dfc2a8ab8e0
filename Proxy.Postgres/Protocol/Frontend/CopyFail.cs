using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>CopyFail ('f'): the client aborts COPY FROM STDIN; the server fails the command with this text.</summary>
public readonly record struct CopyFail(string ErrorMessage)
{
    public const FrontendMessageCode Code = FrontendMessageCode.CopyFail;

    public static bool TryParse(ReadOnlySequence<byte> body, out CopyFail message)
    {
        var reader = new SequenceReader<byte>(body);
        if (PgBufferReader.TryReadCString(ref reader, out string text) && reader.End)
        {
            message = new CopyFail(text);
            return true;
        }

        message = default;
        return false;
    }

    public void WriteTo(IBufferWriter<byte> output) => Write(output, ErrorMessage);

    public static void Write(IBufferWriter<byte> output, string errorMessage)
    {
        var length = MessageSpanWriter.CStringLength(errorMessage);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteCString(errorMessage);
        output.Advance(writer.Position);
    }
}
