using System.Buffers;
using System.Globalization;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>CommandComplete ('C'): the command tag, e.g. "SELECT 3", "INSERT 0 1", "CREATE TABLE".</summary>
public readonly record struct CommandComplete(string Tag)
{
    public const BackendMessageCode Code = BackendMessageCode.CommandComplete;

    public static bool TryParse(ReadOnlySequence<byte> body, out CommandComplete message)
    {
        var reader = new SequenceReader<byte>(body);
        if (PgBufferReader.TryReadCString(ref reader, out string tag) && reader.End)
        {
            message = new CommandComplete(tag);
            return true;
        }

        message = default;
        return false;
    }

    /// <summary>The row count that ends tags such as SELECT, INSERT, UPDATE, DELETE, MERGE, FETCH, MOVE and COPY.</summary>
    public bool TryGetRowCount(out long rows)
    {
        var space = Tag.LastIndexOf(' ');
        rows = 0;
        return space > 0 && long.TryParse(Tag.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out rows);
    }

    public void WriteTo(IBufferWriter<byte> output) => Write(output, Tag);

    public static void Write(IBufferWriter<byte> output, string tag)
    {
        var length = MessageSpanWriter.CStringLength(tag);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteCString(tag);
        output.Advance(writer.Position);
    }
}
