using System.Buffers;

namespace HoopProxy.Core.Audit;

/// <summary>One line of the log as stored, without its LF.</summary>
/// <param name="Number">1-based line number, as editors and the verifier's report count.</param>
/// <param name="Offset">Byte offset of the line's first byte.</param>
/// <param name="Terminated">False for a last line the file ends inside (a crash during a write, or a truncation).</param>
/// <param name="TooLong">Longer than <see cref="AuditLineFormat.MaxLineBytes"/>; <paramref name="Bytes"/> is then empty.</param>
public sealed record AuditRawLine(long Number, long Offset, byte[] Bytes, bool Terminated, bool TooLong);

/// <summary>Reads the log line by line in constant memory (a line longer than the maximum is reported, not held).</summary>
public static class AuditLineReader
{
    /// <summary>Opens for reading while a proxy may be appending to it.</summary>
    public static FileStream OpenShared(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);

    public static IEnumerable<AuditRawLine> ReadLines(string path)
    {
        using var stream = OpenShared(path);
        foreach (var line in ReadLines(stream))
        {
            yield return line;
        }
    }

    public static IEnumerable<AuditRawLine> ReadLines(Stream stream)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var line = new ArrayBufferWriter<byte>(1024);
            long number = 1;
            long offset = 0;
            long lineStart = 0;
            var tooLong = false;
            int read;
            while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
            {
                var at = 0;
                while (at < read)
                {
                    var lf = chunk.AsSpan(at, read - at).IndexOf((byte)'\n');
                    var partLength = lf < 0 ? read - at : lf;
                    if (!tooLong && line.WrittenCount + partLength > AuditLineFormat.MaxLineBytes)
                    {
                        tooLong = true;
                        line.ResetWrittenCount();
                    }

                    if (!tooLong)
                    {
                        line.Write(chunk.AsSpan(at, partLength));
                    }

                    offset += partLength;
                    at += partLength;
                    if (lf < 0)
                    {
                        break;
                    }

                    yield return new AuditRawLine(number++, lineStart, tooLong ? [] : line.WrittenSpan.ToArray(), Terminated: true, tooLong);
                    offset++;
                    at++;
                    lineStart = offset;
                    line.ResetWrittenCount();
                    tooLong = false;
                }
            }

            if (offset > lineStart)
            {
                yield return new AuditRawLine(number, lineStart, tooLong ? [] : line.WrittenSpan.ToArray(), Terminated: false, tooLong);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
