using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>CopyOutResponse ('H'): COPY TO STDOUT data follows. <see cref="OverallFormat"/> is 0 (text) or 1 (binary); one format code per column follows.</summary>
public readonly record struct CopyOutResponse(byte OverallFormat, FormatCodeList ColumnFormats)
{
    public const BackendMessageCode Code = BackendMessageCode.CopyOutResponse;

    public static bool TryParse(ReadOnlySequence<byte> body, out CopyOutResponse message)
    {
        if (CopyResponseLayout.TryParse(body, out var overall, out var columns))
        {
            message = new CopyOutResponse(overall, columns);
            return true;
        }

        message = default;
        return false;
    }

    public void WriteTo(IBufferWriter<byte> output) => CopyResponseLayout.Write(output, Code, OverallFormat, ColumnFormats);

    public static void Write(IBufferWriter<byte> output, byte overallFormat, ReadOnlySpan<short> columnFormats) =>
        CopyResponseLayout.Write(output, Code, overallFormat, columnFormats);
}
