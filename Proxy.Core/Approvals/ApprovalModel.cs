namespace HoopProxy.Core.Approvals;

/// <summary>How long an approval holds: for the one statement held, or for the same statement text in the same session until a time.</summary>
public enum ApprovalScope
{
    Once,
    Session,
}

/// <summary>How a request ended.</summary>
public enum ApprovalOutcome
{
    Approved,
    Denied,
    TimedOut,

    /// <summary>The client cancelled the statement or went away before anyone decided.</summary>
    Withdrawn,
}

/// <summary>
/// Someone acting on requests: a name and groups, as the admin API's token says, and the credential they acted with,
/// so that a decision can be checked against the revocation list for as long as it is relied on.
/// </summary>
public sealed record ApproverIdentity(string Name, IReadOnlyList<string> Groups)
{
    /// <summary>The OIDC token's <c>sub</c>; null for a configured approver.</summary>
    public string? Subject { get; init; }

    /// <summary>
    /// What the <c>tokenIds</c> list of the revocation file names this credential by: an OIDC token's id (<c>jti</c>, or
    /// <c>sha256:</c> of the token), or <c>sha256:</c> and the hex SHA-256 of a configured approver's token. Never the token.
    /// </summary>
    public string? CredentialId { get; init; }

    /// <summary><c>jwk:</c> thumbprint of the key that signed the OIDC token; null for a configured approver.</summary>
    public string? KeyFingerprint { get; init; }

    /// <summary>The generated text would print the groups list's type; name and groups are what a log needs.</summary>
    public override string ToString() => $"{Name} ({string.Join(", ", Groups)})";
}

/// <summary>A statement (or command) held until an approver decides.</summary>
public sealed record ApprovalRequest
{
    public required string Id { get; init; }
    public required string SessionId { get; init; }
    public required string Protocol { get; init; }
    public required string Target { get; init; }
    public required string Requester { get; init; }
    public required string Statement { get; init; }
    public required string Rule { get; init; }

    /// <summary>User names or groups whose members may decide.</summary>
    public required IReadOnlyList<string> Approvers { get; init; }
    public required DateTimeOffset RequestedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
}

/// <summary>The decision on a request.</summary>
public sealed record ApprovalDecision
{
    public required ApprovalOutcome Outcome { get; init; }

    /// <summary>Who decided; null for a timeout or a withdrawal.</summary>
    public string? DecidedBy { get; init; }

    /// <summary>Who decided, with the credential used: a Session-scope approval counts only while it is not revoked.</summary>
    public ApproverIdentity? Approver { get; init; }
    public string? Reason { get; init; }
    public ApprovalScope Scope { get; init; } = ApprovalScope.Once;

    /// <summary>For <see cref="ApprovalScope.Session"/>: until when the same statement passes without asking again.</summary>
    public DateTimeOffset? ValidUntil { get; init; }
    public required DateTimeOffset DecidedAt { get; init; }
}

/// <summary>What an approver's action did: applied, or refused with the reason (unknown id, not an approver, own request, already decided).</summary>
public sealed record ApprovalActionResult(bool Applied, string Message, ApprovalActionError Error = ApprovalActionError.None);

public enum ApprovalActionError
{
    None,
    NotFound,
    Forbidden,
    AlreadyDecided,
    Invalid,

    /// <summary>The approver's credential is on the revocation list.</summary>
    Revoked,
}
