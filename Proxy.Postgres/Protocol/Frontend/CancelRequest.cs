using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>CancelRequest (untyped, on a fresh connection): asks the server to cancel the query of the session with this key.</summary>
public readonly record struct CancelRequest(int ProcessId, int SecretKey)
{
    public const int Length = 16;

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
