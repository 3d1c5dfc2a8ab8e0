using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>CopyBothResponse ('W'): streaming replication starts; CopyData flows both ways. <see cref="OverallFormat"/> is 0 (text) or 1 (binary); one format code per column follows.</summary>
public readonly record struct CopyBothResponse(byte OverallFormat, FormatCodeList ColumnFormats)
{
    public const BackendMessageCode Code = BackendMessageCode.CopyBothResponse;

    public static bool TryParse(ReadOnlySequence<byte> body, out CopyBothResponse message)
    {
        if (CopyResponseLayout.TryParse(body, out var overall, out var columns))
        {
            message = new CopyBothResponse(overall, columns);
            return true;
        }

        message = default;
        return false;
    }

    public void WriteTo(IBufferWriter<byte> output) => CopyResponseLayout.Write(output, Code, OverallFormat, ColumnFormats);

    public static void Write(IBufferWriter<byte> output, byte overallFormat, ReadOnlySpan<short> columnFormats) =>
        CopyResponseLayout.Write(output, Code, overallFormat, columnFormats);
}
