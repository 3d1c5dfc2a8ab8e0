using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using HoopProxy.Postgres.Protocol;

namespace HoopProxy.Benchmarks.Postgres;

/// <summary>Builds server-to-client byte streams as PostgreSQL would send them, for the benchmarks.</summary>
internal static class BackendStream
{
    /// <summary>
    /// One DataRow ('D') shaped like <c>SELECT g, md5(g::text), repeat('x', 30)</c> in text format:
    /// three columns, an int, 32 hex digits and 30 letters; 5 + 2 + 3 × 4 + 7 + 32 + 30 = 88 bytes for g of 7 digits,
    /// 82 bytes for one digit. Returns the bytes written.
    /// </summary>
    public static int WriteDataRow(IBufferWriter<byte> output, int g)
    {
        var number = new byte[11];
        g.TryFormat(number, out var numberLength, default, System.Globalization.CultureInfo.InvariantCulture);
        ReadOnlySpan<byte> md5 = "c4ca4238a0b923820dcc509a6f75849b"u8;
        ReadOnlySpan<byte> filler = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"u8;
        var bodyLength = 2 + 4 + numberLength + 4 + md5.Length + 4 + filler.Length;
        var span = output.GetSpan(1 + 4 + bodyLength);
        var writer = new MessageSpanWriter(span);
        writer.WriteHeader((byte)BackendMessageCode.DataRow, bodyLength);
        writer.WriteInt16(3);
        writer.WriteInt32(numberLength);
        writer.WriteBytes(number.AsSpan(0, numberLength));
        writer.WriteInt32(md5.Length);
        writer.WriteBytes(md5);
        writer.WriteInt32(filler.Length);
        writer.WriteBytes(filler);
        output.Advance(writer.Position);
        return writer.Position;
    }

    /// <summary><paramref name="rows"/> DataRows, then CommandComplete "SELECT n" and ReadyForQuery(idle): one query's reply.</summary>
    public static byte[] QueryResult(int rows, bool withTrailer = true)
    {
        var buffer = new ArrayBufferWriter<byte>(rows * 90 + 64);
        for (var i = 1; i <= rows; i++)
        {
            WriteDataRow(buffer, i);
        }

        if (withTrailer)
        {
            var tag = Encoding.ASCII.GetBytes($"SELECT {rows}");
            var writer = new MessageSpanWriter(buffer.GetSpan(5 + tag.Length + 1 + 6));
            writer.WriteHeader((byte)BackendMessageCode.CommandComplete, tag.Length + 1);
            writer.WriteCString(tag);
            writer.WriteHeader((byte)BackendMessageCode.ReadyForQuery, 1);
            writer.WriteByte((byte)'I');
            buffer.Advance(writer.Position);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Cuts <paramref name="bytes"/> into a chain of segments of <paramref name="segmentSize"/> bytes, as a pipe hands them out.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] bytes, int segmentSize)
    {
        if (bytes.Length <= segmentSize)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        Segment? first = null;
        Segment? last = null;
        for (var offset = 0; offset < bytes.Length; offset += segmentSize)
        {
            var memory = bytes.AsMemory(offset, Math.Min(segmentSize, bytes.Length - offset));
            last = last is null ? first = new Segment(memory, 0) : last.Append(memory);
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    /// <summary>Counts the messages in a well-formed stream (used to check the benchmarks' inputs).</summary>
    public static int CountMessages(ReadOnlySpan<byte> bytes)
    {
        var count = 0;
        while (bytes.Length >= 5)
        {
            bytes = bytes[(1 + BinaryPrimitives.ReadInt32BigEndian(bytes[1..]))..];
            count++;
        }

        return count;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
