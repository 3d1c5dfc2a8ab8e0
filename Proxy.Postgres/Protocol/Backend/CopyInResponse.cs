using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>CopyInResponse ('G'): the server is ready for COPY FROM STDIN data. <see cref="OverallFormat"/> is 0 (text) or 1 (binary); one format code per column follows.</summary>
public readonly record struct CopyInResponse(byte OverallFormat, FormatCodeList ColumnFormats)
{
    public const BackendMessageCode Code = BackendMessageCode.CopyInResponse;

    public static bool TryParse(ReadOnlySequence<byte> body, out CopyInResponse message)
    {
        if (CopyResponseLayout.TryParse(body, out var overall, out var columns))
        {
            message = new CopyInResponse(overall, columns);
            return true;
        }

        message = default;
        return false;
    }

    public void WriteTo(IBufferWriter<byte> output) => CopyResponseLayout.Write(output, Code, OverallFormat, ColumnFormats);

    public static void Write(IBufferWriter<byte> output, byte overallFormat, ReadOnlySpan<short> columnFormats) =>
        CopyResponseLayout.Write(output, Code, overallFormat, columnFormats);
}
