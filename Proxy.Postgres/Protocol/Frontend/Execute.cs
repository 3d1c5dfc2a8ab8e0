using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>Execute ('E'): runs a portal, returning at most <see cref="MaxRows"/> rows (0 = no limit).</summary>
public readonly record struct Execute(string PortalName, int MaxRows)
{
    public const FrontendMessageCode Code = FrontendMessageCode.Execute;

    public static bool TryParse(ReadOnlySequence<byte> body, out Execute message)
    {
        var reader = new SequenceReader<byte>(body);
        if (PgBufferReader.TryReadCString(ref reader, out string portal)
            && PgBufferReader.TryReadInt32(ref reader, out var maxRows)
            && reader.End)
        {
            message = new Execute(portal, maxRows);
            return true;
        }

        message = default;
        return false;
    }

    public void WriteTo(IBufferWriter<byte> output) => Write(output, PortalName, MaxRows);

    public static void Write(IBufferWriter<byte> output, string portalName, int maxRows)
    {
        var length = MessageSpanWriter.CStringLength(portalName) + 4;
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteCString(portalName);
        writer.WriteInt32(maxRows);
        output.Advance(writer.Position);
    }
}
