using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>SSLRequest (untyped, first packet): asks the server to switch to TLS; it answers one byte, 'S' or 'N'. Eight bytes: the length and the request code.</summary>
public readonly record struct SslRequest
{
    public const int Length = SharedLayouts.EncryptionRequestLength;

    public const int RequestCode = StartupCode.SslRequest;

    /// <summary>Parses the whole packet, length included, as it is on the wire.</summary>
    public static bool TryParse(ReadOnlySequence<byte> packet, out SslRequest message)
    {
        message = default;
        return SharedLayouts.IsEncryptionRequest(packet, RequestCode);
    }

    /// <summary>Recognises the request among the packets <see cref="HandshakeReader.ReadStartupPacketAsync"/> returns (code, then what follows it).</summary>
    public static bool Matches(int code, ReadOnlySpan<byte> payload) => code == RequestCode && payload.IsEmpty;

    public static void Write(IBufferWriter<byte> output) => SharedLayouts.WriteEncryptionRequest(output, RequestCode);

    public void WriteTo(IBufferWriter<byte> output) => Write(output);
}
