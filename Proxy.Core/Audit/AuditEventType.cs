namespace HoopProxy.Core.Audit;

/// <summary>
/// What an audit event records. Each has a fixed name in the log (<see cref="AuditEventTypes.Name"/>); docs/audit-trail.md
/// says what <c>action</c> and <c>details</c> hold for each.
/// </summary>
public enum AuditEventType
{
    /// <summary><c>connection</c>: a client connected to a listener (refused ones included: limits, TLS required).</summary>
    Connection,

    /// <summary><c>authentication</c>: a login attempt had its outcome (the proxy's own login to the target too).</summary>
    Authentication,

    /// <summary><c>statement</c>: a SQL statement a PostgreSQL client sent.</summary>
    Statement,

    /// <summary><c>command</c>: what an SSH client ran or opened: exec, shell, subsystem, a forwarding channel.</summary>
    Command,

    /// <summary><c>policy</c>: a policy rule decided a statement, command or channel (allow, block, review).</summary>
    PolicyDecision,

    /// <summary><c>approval</c>: a held statement or command was filed for approval, or decided.</summary>
    Approval,

    /// <summary><c>masking</c>: what masking hid from an answer (counts per column and detector, never a value).</summary>
    Masking,

    /// <summary><c>revocation</c>: a credential was revoked or expired, and the live sessions it ended.</summary>
    Revocation,

    /// <summary><c>disconnect</c>: a session ended.</summary>
    Disconnect,

    /// <summary><c>audit-log</c>: the log itself started or stopped (PCI DSS 10.2.1.6); written by <see cref="AuditLog"/> only.</summary>
    AuditLog,
}

/// <summary>The names event types have in the log, and back.</summary>
public static class AuditEventTypes
{
    /// <summary>The <c>type</c> of a checkpoint line: not an event, so not an <see cref="AuditEventType"/>.</summary>
    public const string Checkpoint = "checkpoint";

    private static readonly string[] Names =
        ["connection", "authentication", "statement", "command", "policy", "approval", "masking", "revocation", "disconnect", "audit-log"];

    /// <summary>Every event type's name, in declaration order.</summary>
    public static IReadOnlyList<string> All => Names;

    public static string Name(this AuditEventType type) => Names[(int)type];

    public static bool TryParse(string name, out AuditEventType type)
    {
        var index = Array.IndexOf(Names, name);
        type = (AuditEventType)Math.Max(index, 0);
        return index >= 0;
    }
}

/// <summary>Whether what the event records succeeded (was allowed) or failed (was refused); a failure carries an error code.</summary>
public enum AuditOutcome
{
    Success,
    Failure,
}
