using System.Text.Json.Nodes;

namespace HoopProxy.Core.Audit;

/// <summary>
/// What every event of one session has in common, so that a session builds it once (after its login) and each event
/// from it: <c>context.Event(AuditEventType.Statement, AuditOutcome.Success, action: sql)</c>.
/// </summary>
public sealed record AuditContext(string? SessionId, AuditUser User, string? CredentialId, AuditOrigin Origin, AuditResource Resource)
{
    /// <param name="objects">The objects this event touches; the context's own (usually none) when null.</param>
    public AuditEvent Event(AuditEventType type, AuditOutcome outcome, string? action = null, string? errorCode = null,
        JsonObject? details = null, IReadOnlyList<string>? objects = null) => new(type, outcome)
    {
        SessionId = SessionId,
        User = User,
        CredentialId = CredentialId,
        Origin = Origin,
        Resource = objects is null ? Resource : Resource with { Objects = objects },
        Action = action,
        ErrorCode = errorCode,
        Details = details,
    };
}
