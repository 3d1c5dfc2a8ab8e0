using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>The body shared by CopyInResponse, CopyOutResponse and CopyBothResponse: Int8 overall format, then per-column formats.</summary>
internal static class CopyResponseLayout
{
    public static bool TryParse(ReadOnlySequence<byte> body, out byte overallFormat, out FormatCodeList columnFormats)
    {
        var reader = new SequenceReader<byte>(body);
        columnFormats = default;
        return reader.TryRead(out overallFormat) && FormatCodeList.TryRead(ref reader, out columnFormats) && reader.End;
    }

    public static void Write(IBufferWriter<byte> output, BackendMessageCode code, byte overallFormat, FormatCodeList columnFormats)
    {
        var length = 1 + columnFormats.WireLength;
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)code, length);
        writer.WriteByte(overallFormat);
        columnFormats.Write(ref writer);
        output.Advance(writer.Position);
    }

    public static void Write(IBufferWriter<byte> output, BackendMessageCode code, byte overallFormat, ReadOnlySpan<short> columnFormats)
    {
        var length = 1 + FormatCodeList.WireLengthOf(columnFormats);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)code, length);
        writer.WriteByte(overallFormat);
        FormatCodeList.Write(ref writer, columnFormats);
        output.Advance(writer.Position);
    }
}
