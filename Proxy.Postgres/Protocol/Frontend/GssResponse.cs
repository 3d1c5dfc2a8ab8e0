using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>GSSResponse ('p'): a GSSAPI or SSPI token; the body is the token, nothing else.</summary>
public readonly record struct GssResponse(ReadOnlySequence<byte> Data)
{
    public const FrontendMessageCode Code = FrontendMessageCode.Password;

    /// <summary>Every body is valid: the whole of it is the data.</summary>
    public static bool TryParse(ReadOnlySequence<byte> body, out GssResponse message)
    {
        message = new GssResponse(body);
        return true;
    }

    public void WriteTo(IBufferWriter<byte> output) => SharedLayouts.WritePayload(output, (byte)Code, Data);

    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> data) => SharedLayouts.WritePayload(output, (byte)Code, data);
}
