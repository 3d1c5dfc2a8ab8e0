using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>The transaction status byte of ReadyForQuery.</summary>
public enum TransactionStatus : byte
{
    Idle = (byte)'I',
    InTransaction = (byte)'T',
    Failed = (byte)'E',
}

/// <summary>ReadyForQuery ('Z'): the server waits for the next query; says whether a transaction is open.</summary>
public readonly record struct ReadyForQuery(TransactionStatus Status)
{
    public const BackendMessageCode Code = BackendMessageCode.ReadyForQuery;

    public static bool TryParse(ReadOnlySequence<byte> body, out ReadyForQuery message)
    {
        // Not body.FirstSpan[0]: a one-byte body can sit behind an empty first segment, and FirstSpan would be empty.
        var reader = new SequenceReader<byte>(body);
        if (body.Length == 1 && reader.TryRead(out var value))
        {
            var status = (TransactionStatus)value;
            if (status is TransactionStatus.Idle or TransactionStatus.InTransaction or TransactionStatus.Failed)
            {
                message = new ReadyForQuery(status);
                return true;
            }
        }

        message = default;
        return false;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = new MessageSpanWriter(output.GetSpan(6));
        writer.WriteHeader((byte)Code, 1);
        writer.WriteByte((byte)Status);
        output.Advance(writer.Position);
    }
}
