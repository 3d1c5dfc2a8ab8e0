using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>CopyData ('d') from the server: a chunk of COPY TO STDOUT (or replication) data, kept as a slice.</summary>
public readonly record struct CopyData(ReadOnlySequence<byte> Data)
{
    public const BackendMessageCode Code = BackendMessageCode.CopyData;

    /// <summary>Every body is valid: the whole of it is the data.</summary>
    public static bool TryParse(ReadOnlySequence<byte> body, out CopyData message)
    {
        message = new CopyData(body);
        return true;
    }

    public void WriteTo(IBufferWriter<byte> output) => SharedLayouts.WritePayload(output, (byte)Code, Data);

    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> data) => SharedLayouts.WritePayload(output, (byte)Code, data);
}
