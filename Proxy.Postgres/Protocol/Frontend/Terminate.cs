using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>Terminate ('X'): the client is closing the session. The body is empty.</summary>
public readonly record struct Terminate
{
    public const FrontendMessageCode Code = FrontendMessageCode.Terminate;

    /// <summary>Bytes on the wire, type byte included.</summary>
    public const int WireLength = MessageHeader.Size;

    public static bool TryParse(ReadOnlySequence<byte> body, out Terminate message)
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
