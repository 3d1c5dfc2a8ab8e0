using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>Flush ('H'): asks the server to send whatever it has buffered, without ending the extended-query batch. The body is empty.</summary>
public readonly record struct Flush
{
    public const FrontendMessageCode Code = FrontendMessageCode.Flush;

    /// <summary>Bytes on the wire, type byte included.</summary>
    public const int WireLength = MessageHeader.Size;

    public static bool TryParse(ReadOnlySequence<byte> body, out Flush message)
    {
        message = default;
        return body.IsEmpty;
    }

    public static void Write(IBufferWriter<byte> output)
    {
        var writer = new MessageSpanWriter(output.GetSpan(WireLength));
        writer.WriteHeader((byte)Code, 0);
        output.Advance(writer.Position);
    }

    public void WriteTo(IBufferWriter<byte> output) => Write(output);
}
