using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>One field of an ErrorResponse or NoticeResponse, identified by its type byte ('S', 'C', 'M' …).</summary>
public readonly record struct ErrorField(byte Type, string Value);

/// <summary>
/// ErrorResponse ('E') and NoticeResponse ('N') share one layout: typed string fields ended by a zero byte.
/// </summary>
public sealed record ErrorResponse(IReadOnlyList<ErrorField> Fields)
{
    public const byte SeverityField = (byte)'S';
    public const byte SeverityNonLocalizedField = (byte)'V';
    public const byte CodeField = (byte)'C';
    public const byte MessageField = (byte)'M';
    public const byte DetailField = (byte)'D';
    public const byte HintField = (byte)'H';

    public string? Severity => Get(SeverityNonLocalizedField) ?? Get(SeverityField);

    public string? SqlState => Get(CodeField);

    public string? Message => Get(MessageField);

    public string? Detail => Get(DetailField);

    public string? Get(byte type) => Fields.FirstOrDefault(f => f.Type == type).Value;

    /// <summary>A message raised by the proxy itself, with the fields libpq and Npgsql show.</summary>
    public static ErrorResponse Create(string severity, string sqlState, string message, string? detail = null, string? hint = null)
    {
        var fields = new List<ErrorField>
        {
            new(SeverityField, severity),
            new(SeverityNonLocalizedField, severity),
            new(CodeField, sqlState),
            new(MessageField, message),
        };
        if (detail is not null)
        {
            fields.Add(new ErrorField(DetailField, detail));
        }

        if (hint is not null)
        {
            fields.Add(new ErrorField(HintField, hint));
        }

        return new ErrorResponse(fields);
    }

    public static ErrorResponse Fatal(string sqlState, string message) => Create("FATAL", sqlState, message);

    public static bool TryParse(ReadOnlySequence<byte> body, out ErrorResponse message)
    {
        var reader = new SequenceReader<byte>(body);
        var fields = new List<ErrorField>();
        message = new ErrorResponse(fields);
        while (reader.TryRead(out var type))
        {
            if (type == 0)
            {
                return reader.End;
            }

            if (!PgBufferReader.TryReadCString(ref reader, out string value))
            {
                return false;
            }

            fields.Add(new ErrorField(type, value));
        }

        return false;
    }

    /// <param name="code">'E' for an error, 'N' for a notice.</param>
    public void WriteTo(IBufferWriter<byte> output, BackendMessageCode code = BackendMessageCode.ErrorResponse)
    {
        var length = 1 + Fields.Sum(f => 1 + MessageSpanWriter.CStringLength(f.Value));
        var writer = new MessageSpanWriter(output.GetSpan(5 + length));
        writer.WriteHeader((byte)code, length);
        foreach (var field in Fields)
        {
            writer.WriteByte(field.Type);
            writer.WriteCString(field.Value);
        }

        writer.WriteByte(0);
        output.Advance(writer.Position);
    }
}
