using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>Sync ('S'): ends an extended-query batch; the server answers ReadyForQuery once any error is cleared. The body is empty.</summary>
public readonly record struct Sync
{
    public const FrontendMessageCode Code = FrontendMessageCode.Sync;

    /// <summary>Bytes on the wire, type byte included.</summary>
    public const int WireLength = MessageHeader.Size;

    public static bool TryParse(ReadOnlySequence<byte> body, out Sync message)
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
