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

/// <summary>Someone acting on requests: a name and groups, as the admin API's token says.</summary>
public sealed record ApproverIdentity(string Name, IReadOnlyList<string> Groups);

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
}
