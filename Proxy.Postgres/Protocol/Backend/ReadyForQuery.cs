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
        if (body.Length == 1)
        {
            var status = (TransactionStatus)body.FirstSpan[0];
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
