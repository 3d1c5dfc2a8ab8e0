using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoopProxy.Core.Audit;
using HoopProxy.Core.Recording;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// A PostgreSQL session's recording (if it is recorded) with the audit trail beside it: every event the session
/// records is passed on, and the ones a regulator asks about — the login, each statement and its outcome, each policy
/// decision, approval step and masking summary, and the end — are also written to the audit log with the session's
/// identity, origin and target (docs/audit-trail.md). Data goes to the recording alone. Without a recording the
/// session still writes its audit trail.
/// </summary>
internal sealed class AuditedSessionRecording(ISessionRecording? recording, AuditLog log, SessionMetadata metadata) : ISessionRecording
{
    private readonly AuditContext _context = new(metadata.SessionId,
        metadata.AuditUser,
        metadata.CredentialId, new AuditOrigin(metadata.ClientAddress, metadata.ClientPort),
        new AuditResource("postgres", metadata.Target, metadata.Target, []));

    public string SessionId => metadata.SessionId;

    public ValueTask WriteDataAsync(RecordDirection direction, ReadOnlySequence<byte> bytes, CancellationToken cancellationToken = default) =>
        recording?.WriteDataAsync(direction, bytes, cancellationToken) ?? ValueTask.CompletedTask;

    public async ValueTask WriteEventAsync(string type, JsonObject fields, CancellationToken cancellationToken = default)
    {
        if (recording is not null)
        {
            await recording.WriteEventAsync(type, fields, cancellationToken);
        }

        await AuditAsync(type, fields, cancellationToken);
    }

    public async ValueTask WriteEventAsync(IRecordedEvent recordedEvent, CancellationToken cancellationToken = default)
    {
        if (recording is not null)
        {
            await recording.WriteEventAsync(recordedEvent, cancellationToken);
        }

        await AuditAsync(recordedEvent.Type, Fields(recordedEvent), cancellationToken);
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => recording?.FlushAsync(cancellationToken) ?? ValueTask.CompletedTask;

    public async ValueTask CompleteAsync(string endReason)
    {
        if (recording is not null)
        {
            await recording.CompleteAsync(endReason);
        }

        await AuditOrFailAsync(_context.Event(AuditEventType.Disconnect, AuditOutcome.Success, action: endReason), CancellationToken.None);
    }

    /// <summary>
    /// A fail-closed audit log that cannot write ends the session the way a failed recording does: the session's code
    /// already turns that into the client's error and the end of the session.
    /// </summary>
    private async ValueTask AuditOrFailAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        try
        {
            await log.WriteAsync(auditEvent, cancellationToken);
        }
        catch (AuditUnavailableException e)
        {
            throw new RecordingUnavailableException($"the audit trail cannot be written: {e.Message}", e);
        }
    }

    public ValueTask DisposeAsync() => recording?.DisposeAsync() ?? ValueTask.CompletedTask;

    private ValueTask AuditAsync(string type, JsonObject fields, CancellationToken cancellationToken)
    {
        // The details are the recorded event's fields, so the audit line and the session's record tell the same story.
        ValueTask Write(AuditEventType kind, bool success, string? action, string? errorCode, IReadOnlyList<string>? objects = null) =>
            AuditOrFailAsync(_context.Event(kind, success ? AuditOutcome.Success : AuditOutcome.Failure, action, success ? null : errorCode,
                details: fields, objects: objects), cancellationToken);

        return type switch
        {
            "login" => Write(AuditEventType.Authentication, Text(fields["outcome"]) == "success", Text(fields["method"]), Text(fields["sqlstate"]) ?? "refused"),
            "statement" => Write(AuditEventType.Statement, true, Text(fields["text"]), null, Relations(fields)),
            "outcome" => Write(AuditEventType.Statement, Text(fields["status"]) is "ok" or "empty" or "suspended", Text(fields["command"]),
                Text(fields["sqlstate"]) ?? Text(fields["status"])),
            "policy" => Write(AuditEventType.PolicyDecision, Text(fields["decision"]) != "block", Text(fields["rule"]), "blocked"),
            "approval" => Write(AuditEventType.Approval, Text(fields["status"]) is "requested" or "approved" or "reused", Text(fields["request"]),
                Text(fields["status"])),
            "masked" => Write(AuditEventType.Masking, true, null, null),
            "revocation" => Write(AuditEventType.Revocation, true, Text(fields["cause"]), null),
            _ => ValueTask.CompletedTask,
        };
    }

    private static IReadOnlyList<string>? Relations(JsonObject fields) =>
        fields["reads"] is null && fields["writes"] is null ? null
            : [.. new[] { fields["reads"], fields["writes"] }.OfType<JsonArray>().SelectMany(a => a).Select(n => Text(n)!).Distinct()];

    private static JsonObject Fields(IRecordedEvent recordedEvent)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            recordedEvent.WriteFields(writer);
            writer.WriteEndObject();
        }

        return JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
    }

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => node.ToJsonString(),
    };
}
