using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>
/// NoticeResponse ('N'): a warning or informational message. Its layout is the one of
/// <see cref="ErrorResponse"/>, so this wrapper only fixes the type byte and keeps notices and errors
/// from being mistaken for one another in code that handles both.
/// </summary>
public readonly record struct NoticeResponse(ErrorResponse Notice)
{
    public const BackendMessageCode Code = BackendMessageCode.NoticeResponse;

    public IReadOnlyList<ErrorField> Fields => Notice.Fields;

    public string? Severity => Notice.Severity;

    public string? SqlState => Notice.SqlState;

    public string? Message => Notice.Message;

    public static bool TryParse(ReadOnlySequence<byte> body, out NoticeResponse message)
    {
        var parsed = ErrorResponse.TryParse(body, out var notice);
        message = new NoticeResponse(notice);
        return parsed;
    }

    public void WriteTo(IBufferWriter<byte> output) => Notice.WriteTo(output, Code);
}
