using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>CloseComplete ('3'): a Close succeeded. The body is empty.</summary>
public readonly record struct CloseComplete
{
    public const BackendMessageCode Code = BackendMessageCode.CloseComplete;

    /// <summary>Bytes on the wire, type byte included.</summary>
    public const int WireLength = MessageHeader.Size;

    public static bool TryParse(ReadOnlySequence<byte> body, out CloseComplete message)
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
