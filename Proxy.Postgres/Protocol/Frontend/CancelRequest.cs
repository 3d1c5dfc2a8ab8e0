using System.Buffers;
using System.Buffers.Binary;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>CancelRequest (untyped, on a fresh connection): asks the server to cancel the query of the session with this key.</summary>
public readonly record struct CancelRequest(int ProcessId, int SecretKey)
{
    public const int Length = 16;

    /// <summary>Parses the whole packet, length included, as it is on the wire.</summary>
    public static bool TryParse(ReadOnlySequence<byte> packet, out CancelRequest message)
    {
        message = default;
        if (packet.Length != Length)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Length];
        packet.CopyTo(bytes);
        if (BinaryPrimitives.ReadInt32BigEndian(bytes) != Length || BinaryPrimitives.ReadInt32BigEndian(bytes[4..]) != StartupCode.CancelRequest)
        {
            return false;
        }

        message = new CancelRequest(BinaryPrimitives.ReadInt32BigEndian(bytes[8..]), BinaryPrimitives.ReadInt32BigEndian(bytes[12..]));
        return true;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = new MessageSpanWriter(output.GetSpan(Length));
        writer.WriteInt32(Length);
        writer.WriteInt32(StartupCode.CancelRequest);
        writer.WriteInt32(ProcessId);
        writer.WriteInt32(SecretKey);
        output.Advance(Length);
    }

    public byte[] ToArray()
    {
        var buffer = new ArrayBufferWriter<byte>(Length);
        WriteTo(buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
