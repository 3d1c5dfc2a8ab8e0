using System.Buffers;
using System.Text;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>Query ('Q'): a simple-protocol query string, possibly several statements; kept as a slice, since it can be megabytes.</summary>
public readonly record struct Query(ReadOnlySequence<byte> Text)
{
    public const FrontendMessageCode Code = FrontendMessageCode.Query;

    public static bool TryParse(ReadOnlySequence<byte> body, out Query message)
    {
        var reader = new SequenceReader<byte>(body);
        if (PgBufferReader.TryReadCString(ref reader, out ReadOnlySequence<byte> text) && reader.End)
        {
            message = new Query(text);
            return true;
        }

        message = default;
        return false;
    }

    /// <summary>Decodes the text: for policy and logging, never on the forwarding path.</summary>
    public string TextString() => Encoding.UTF8.GetString(Text);

    public void WriteTo(IBufferWriter<byte> output)
    {
        var length = MessageSpanWriter.BodyLength(Text.Length + 1);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteCString(Text);
        output.Advance(writer.Position);
    }

    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> utf8Text)
    {
        var length = MessageSpanWriter.CStringLength(utf8Text);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteCString(utf8Text);
        output.Advance(writer.Position);
    }

    public static void Write(IBufferWriter<byte> output, string text) => Write(output, Encoding.UTF8.GetBytes(text));
}
