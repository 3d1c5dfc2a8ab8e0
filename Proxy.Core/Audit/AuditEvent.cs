using System.Text.Json.Nodes;

namespace HoopProxy.Core.Audit;

/// <summary>
/// One audit event: what PCI DSS 10.2.2 asks of each — who (<see cref="User"/>), what (<see cref="Type"/>,
/// <see cref="Action"/>), when (<see cref="Time"/>, UTC), whether it succeeded (<see cref="Outcome"/>,
/// <see cref="ErrorCode"/>), from where (<see cref="Origin"/>) and on what (<see cref="Resource"/>) — plus the
/// credential and the session that link it to the identity provider and to the recording.
/// Every field is written on every line, null when it does not apply, so a reader can check that none is missing.
/// </summary>
/// <param name="Type">What happened.</param>
/// <param name="Outcome">Success, or failure (refused, blocked, denied, ended by an error).</param>
public sealed record AuditEvent(AuditEventType Type, AuditOutcome Outcome)
{
    /// <summary>Why it failed, in the protocol's terms: a SQLSTATE (<c>28P01</c>), an SSH reason, or one of ours (<c>token-expired</c>).</summary>
    public string? ErrorCode { get; init; }

    /// <summary>When it happened; the log takes the time of the <see cref="AuditLog.WriteAsync"/> call when null.</summary>
    public DateTimeOffset? Time { get; init; }

    public AuditUser User { get; init; } = AuditUser.Unknown;

    /// <summary>The credential that was presented: a token's <c>jti</c>, a key's <c>SHA256:…</c> fingerprint, <c>user:NAME</c> for a password.</summary>
    public string? CredentialId { get; init; }

    /// <summary>The session id, which is also the recording's name (<c>hoopproxy sessions show ID</c>).</summary>
    public string? SessionId { get; init; }

    public AuditOrigin Origin { get; init; } = AuditOrigin.Unknown;

    public AuditResource Resource { get; init; } = AuditResource.None;

    /// <summary>What was attempted, as text: the SQL statement, the command line, the login method… (per type in docs/audit-trail.md).</summary>
    public string? Action { get; init; }

    /// <summary>
    /// What only this type of event has (the rule that decided, the approval's id, masked counts); snake_case keys. It is
    /// serialized when the event is handed to the log, so changing it afterwards changes nothing.
    /// </summary>
    public JsonObject? Details { get; init; }
}

/// <summary>
/// Who: the identity as the identity provider stated it (<paramref name="Issuer"/> and <paramref name="Subject"/>),
/// the name people know (<paramref name="Name"/>), the groups that decided what they may do, and the account the
/// proxy used on the target on their behalf.
/// </summary>
/// <param name="Issuer">The token's <c>iss</c>; <see cref="LocalIssuer"/> for users from the configuration.</param>
/// <param name="Subject">The token's <c>sub</c>; the user name for configured users.</param>
/// <param name="Name">The display name (the configured name claim, e.g. <c>email</c>); for a refused login, the name that was tried.</param>
/// <param name="Groups">Never null; empty when none or unknown.</param>
/// <param name="UpstreamAccount">The target's account the proxy logged in with (<c>app</c>, <c>deploy</c>), never its password.</param>
public sealed record AuditUser(string? Issuer, string? Subject, string? Name, IReadOnlyList<string> Groups, string? UpstreamAccount)
{
    /// <summary>The issuer of users from the configuration's <c>Users</c> section.</summary>
    public const string LocalIssuer = "local";

    /// <summary>Nobody known yet: a connection before its login, the log's own events.</summary>
    public static readonly AuditUser Unknown = new(null, null, null, [], null);

    /// <summary>A user from the configuration: issuer <see cref="LocalIssuer"/>, subject and name the user name.</summary>
    public static AuditUser Local(string name, IReadOnlyList<string> groups, string? upstreamAccount = null) =>
        new(LocalIssuer, name, name, groups, upstreamAccount);
}

/// <summary>From where: the client's address and port as the proxy saw them, and the proxy that saw them.</summary>
/// <param name="ProxyHost">The proxy's host name; the log fills in its own when null.</param>
public sealed record AuditOrigin(string? ClientAddress, int? ClientPort, string? ProxyHost = null)
{
    public static readonly AuditOrigin Unknown = new(null, null);
}

/// <summary>On what: the protocol and target, the database (PostgreSQL), and the objects touched.</summary>
/// <param name="Protocol"><c>postgres</c> or <c>ssh</c>.</param>
/// <param name="Target">The target's name in the configuration.</param>
/// <param name="Database">The database on the target (PostgreSQL); null for SSH.</param>
/// <param name="Objects">Never null: schema-qualified relations and functions a statement reads or writes, the path or
/// <c>host:port</c> an SSH channel reaches; empty when none.</param>
public sealed record AuditResource(string? Protocol, string? Target, string? Database, IReadOnlyList<string> Objects)
{
    public static readonly AuditResource None = new(null, null, null, []);
}
