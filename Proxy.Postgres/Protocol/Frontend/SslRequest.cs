using System.Buffers;
using System.Buffers.Binary;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>SSLRequest (untyped, first packet): asks the server to switch to TLS; it answers one byte, 'S' or 'N'. Eight bytes: the length and the request code.</summary>
public readonly record struct SslRequest
{
    public const int Length = 8;

    public const int RequestCode = StartupCode.SslRequest;

    /// <summary>Parses the whole packet, length included, as it is on the wire.</summary>
    public static bool TryParse(ReadOnlySequence<byte> packet, out SslRequest message)
    {
        message = default;
        if (packet.Length != Length)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Length];
        packet.CopyTo(bytes);
        return BinaryPrimitives.ReadInt32BigEndian(bytes) == Length && BinaryPrimitives.ReadInt32BigEndian(bytes[4..]) == RequestCode;
    }

    /// <summary>Recognises the request among the packets <see cref="HandshakeReader.ReadStartupPacketAsync"/> returns (code, then what follows it).</summary>
    public static bool Matches(int code, ReadOnlySpan<byte> payload) => code == RequestCode && payload.IsEmpty;

    public static void Write(IBufferWriter<byte> output)
    {
        var writer = new MessageSpanWriter(output.GetSpan(Length));
        writer.WriteInt32(Length);
        writer.WriteInt32(RequestCode);
        output.Advance(writer.Position);
    }

    public void WriteTo(IBufferWriter<byte> output) => Write(output);
}
