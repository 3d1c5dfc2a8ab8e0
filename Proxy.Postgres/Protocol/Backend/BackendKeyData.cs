using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>BackendKeyData ('K'): the process id and secret a client quotes in a CancelRequest.</summary>
public readonly record struct BackendKeyData(int ProcessId, int SecretKey)
{
    public const BackendMessageCode Code = BackendMessageCode.BackendKeyData;

    public static bool TryParse(ReadOnlySequence<byte> body, out BackendKeyData message)
    {
        var reader = new SequenceReader<byte>(body);
        if (body.Length == 8 && PgBufferReader.TryReadInt32(ref reader, out var pid) && PgBufferReader.TryReadInt32(ref reader, out var secret))
        {
            message = new BackendKeyData(pid, secret);
            return true;
        }

        message = default;
        return false;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = new MessageSpanWriter(output.GetSpan(13));
        writer.WriteHeader((byte)Code, 8);
        writer.WriteInt32(ProcessId);
        writer.WriteInt32(SecretKey);
        output.Advance(writer.Position);
    }
}
