using HoopProxy.Core.Identity.Revocation;

namespace HoopProxy.Core.Identity.Sessions;

/// <summary>Why the proxy ends a live session on its own: its credential was revoked, or its token's time is up.</summary>
public enum SessionEndCause
{
    Revoked,
    Expired,
}

/// <summary>
/// The end the proxy imposes on a live session. <see cref="Reason"/> is what the client reads (in its FATAL ErrorResponse
/// or SSH disconnect) and what the record and the audit trail say: it names only the session's own credential.
/// </summary>
public sealed record SessionEnding(SessionEndCause Cause, string Reason, RevocationMatch? Revocation = null)
{
    /// <summary>The audit trail's action for the event: <c>revoked</c> or <c>expired</c>.</summary>
    public string Action => Cause == SessionEndCause.Revoked ? "revoked" : "expired";

    /// <summary>The fields of the session record's <c>revocation</c> event, the same for every protocol.</summary>
    public System.Text.Json.Nodes.JsonObject RecordFields() => new()
    {
        ["cause"] = Action,
        ["reason"] = Reason,
        ["kind"] = Revocation is { } match ? SessionGuardian.KindName(match.Kind) : null,
        ["value"] = Revocation?.Value,
    };
}
