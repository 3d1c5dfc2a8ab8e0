using System.Buffers;
using System.Buffers.Binary;
using HoopProxy.Postgres.Protocol.Frontend;

namespace HoopProxy.Postgres.Protocol;

/// <summary>
/// Layouts several message types share byte for byte. Each message keeps its own small type (its code, its
/// name, its documentation); the bytes are read and written once, here.
/// </summary>
internal static class SharedLayouts
{
    /// <summary>A message whose whole body is opaque data (CopyData both ways, GSSResponse, SASLResponse).</summary>
    public static void WritePayload(IBufferWriter<byte> output, byte code, ReadOnlySequence<byte> data)
    {
        var length = MessageSpanWriter.BodyLength(data.Length);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader(code, length);
        writer.WriteBytes(data);
        output.Advance(writer.Position);
    }

    /// <inheritdoc cref="WritePayload(IBufferWriter{byte}, byte, ReadOnlySequence{byte})"/>
    public static void WritePayload(IBufferWriter<byte> output, byte code, ReadOnlySpan<byte> data)
    {
        var length = MessageSpanWriter.BodyLength(data.Length);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader(code, length);
        writer.WriteBytes(data);
        output.Advance(writer.Position);
    }

    /// <summary>'S' or 'P' then a name (Close, Describe).</summary>
    public static bool TryReadTargetAndName(ReadOnlySequence<byte> body, out DescribeTarget target, out string name)
    {
        var reader = new SequenceReader<byte>(body);
        if (reader.TryRead(out var targetByte)
            && (DescribeTarget)targetByte is DescribeTarget.Statement or DescribeTarget.Portal
            && PgBufferReader.TryReadCString(ref reader, out name)
            && reader.End)
        {
            target = (DescribeTarget)targetByte;
            return true;
        }

        target = default;
        name = "";
        return false;
    }

    public static void WriteTargetAndName(IBufferWriter<byte> output, byte code, DescribeTarget target, string name)
    {
        var length = 1 + MessageSpanWriter.CStringLength(name);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader(code, length);
        writer.WriteByte((byte)target);
        writer.WriteCString(name);
        output.Advance(writer.Position);
    }

    public const int EncryptionRequestLength = 8;

    /// <summary>An eight-byte untyped request: the length, then the request code (SSLRequest, GSSENCRequest).</summary>
    public static bool IsEncryptionRequest(ReadOnlySequence<byte> packet, int requestCode)
    {
        if (packet.Length != EncryptionRequestLength)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[EncryptionRequestLength];
        packet.CopyTo(bytes);
        return BinaryPrimitives.ReadInt32BigEndian(bytes) == EncryptionRequestLength && BinaryPrimitives.ReadInt32BigEndian(bytes[4..]) == requestCode;
    }

    public static void WriteEncryptionRequest(IBufferWriter<byte> output, int requestCode)
    {
        var writer = new MessageSpanWriter(output.GetSpan(EncryptionRequestLength));
        writer.WriteInt32(EncryptionRequestLength);
        writer.WriteInt32(requestCode);
        output.Advance(writer.Position);
    }
}
