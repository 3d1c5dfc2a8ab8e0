using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>Close ('C'): releases a prepared statement or a portal; closing one that does not exist is not an error. An empty name means the unnamed one.</summary>
public readonly record struct Close(DescribeTarget Target, string Name)
{
    public const FrontendMessageCode Code = FrontendMessageCode.Close;

    public static bool TryParse(ReadOnlySequence<byte> body, out Close message)
    {
        var reader = new SequenceReader<byte>(body);
        if (reader.TryRead(out var target)
            && (DescribeTarget)target is DescribeTarget.Statement or DescribeTarget.Portal
            && PgBufferReader.TryReadCString(ref reader, out string name)
            && reader.End)
        {
            message = new Close((DescribeTarget)target, name);
            return true;
        }

        message = default;
        return false;
    }

    public void WriteTo(IBufferWriter<byte> output) => Write(output, Target, Name);

    public static void Write(IBufferWriter<byte> output, DescribeTarget target, string name)
    {
        var length = 1 + MessageSpanWriter.CStringLength(name);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteByte((byte)target);
        writer.WriteCString(name);
        output.Advance(writer.Position);
    }
}
