using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>Describe ('D'): asks for a ParameterDescription and RowDescription (statement) or a RowDescription (portal). An empty name means the unnamed one.</summary>
public readonly record struct Describe(DescribeTarget Target, string Name)
{
    public const FrontendMessageCode Code = FrontendMessageCode.Describe;

    public static bool TryParse(ReadOnlySequence<byte> body, out Describe message)
    {
        var reader = new SequenceReader<byte>(body);
        if (reader.TryRead(out var target)
            && (DescribeTarget)target is DescribeTarget.Statement or DescribeTarget.Portal
            && PgBufferReader.TryReadCString(ref reader, out string name)
            && reader.End)
        {
            message = new Describe((DescribeTarget)target, name);
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
