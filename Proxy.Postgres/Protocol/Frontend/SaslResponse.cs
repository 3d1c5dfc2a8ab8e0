using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>SASLResponse ('p'): the client's next SASL message; the body is the data, nothing else.</summary>
public readonly record struct SaslResponse(ReadOnlySequence<byte> Data)
{
    public const FrontendMessageCode Code = FrontendMessageCode.Password;

    public static bool TryParse(ReadOnlySequence<byte> body, out SaslResponse message)
    {
        message = new SaslResponse(body);
        return true;
    }

    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> data) => SharedLayouts.WritePayload(output, (byte)Code, data);
}
