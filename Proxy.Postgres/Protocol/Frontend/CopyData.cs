using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>CopyData ('d') from the client: a chunk of COPY FROM STDIN data. Chunks need not align with rows.</summary>
public readonly record struct CopyData(ReadOnlySequence<byte> Data)
{
    public const FrontendMessageCode Code = FrontendMessageCode.CopyData;

    /// <summary>Every body is valid: the whole of it is the data.</summary>
    public static bool TryParse(ReadOnlySequence<byte> body, out CopyData message)
    {
        message = new CopyData(body);
        return true;
    }

    public void WriteTo(IBufferWriter<byte> output) => SharedLayouts.WritePayload(output, (byte)Code, Data);

    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> data) => SharedLayouts.WritePayload(output, (byte)Code, data);
}
