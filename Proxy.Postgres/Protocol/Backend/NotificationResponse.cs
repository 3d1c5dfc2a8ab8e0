using System.Buffers;
using System.Text;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>NotificationResponse ('A'): a NOTIFY delivered to a listening session; the payload (up to 8000 bytes) stays a slice.</summary>
public readonly record struct NotificationResponse(int ProcessId, string Channel, ReadOnlySequence<byte> Payload)
{
    public const BackendMessageCode Code = BackendMessageCode.NotificationResponse;

    public static bool TryParse(ReadOnlySequence<byte> body, out NotificationResponse message)
    {
        var reader = new SequenceReader<byte>(body);
        if (PgBufferReader.TryReadInt32(ref reader, out var pid)
            && PgBufferReader.TryReadCString(ref reader, out string channel)
            && PgBufferReader.TryReadCString(ref reader, out ReadOnlySequence<byte> payload)
            && reader.End)
        {
            message = new NotificationResponse(pid, channel, payload);
            return true;
        }

        message = default;
        return false;
    }

    public string PayloadString() => Encoding.UTF8.GetString(Payload);

    public void WriteTo(IBufferWriter<byte> output)
    {
        var length = MessageSpanWriter.BodyLength(4L + MessageSpanWriter.CStringLength(Channel) + Payload.Length + 1);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteInt32(ProcessId);
        writer.WriteCString(Channel);
        writer.WriteCString(Payload);
        output.Advance(writer.Position);
    }

    public static void Write(IBufferWriter<byte> output, int processId, string channel, string payload)
    {
        var length = MessageSpanWriter.BodyLength(4L + MessageSpanWriter.CStringLength(channel) + MessageSpanWriter.CStringLength(payload));
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteInt32(processId);
        writer.WriteCString(channel);
        writer.WriteCString(payload);
        output.Advance(writer.Position);
    }
}
