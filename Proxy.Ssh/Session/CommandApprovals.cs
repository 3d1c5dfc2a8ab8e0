using HoopProxy.Core.Approvals;
using HoopProxy.Ssh.Policy;

namespace HoopProxy.Ssh.Session;

/// <summary>
/// One SSH session's exec requests held for approval: filed with the shared <see cref="ApprovalBroker"/> (the same
/// queue, CLI and admin API as PostgreSQL statements), remembered when approved for the session, and withdrawn when
/// the session ends first.
/// </summary>
public sealed class CommandApprovals(ApprovalBroker? broker, string sessionId, string target, string requester)
{
    /// <summary>Session-scope approvals by command line, with who granted them: one stops counting when its approver is revoked.</summary>
    private readonly Dictionary<string, (ApprovalRequest Request, ApprovalDecision Decision)> _approvedForSession = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);

    public bool HasBroker => broker is not null;

    /// <summary>
    /// Until when an earlier Session-scope approval lets this command line run again, or null. An approval whose
    /// approver has been revoked since is forgotten (the broker logs it), so the command is held for approval again.
    /// </summary>
    public DateTimeOffset? ApprovedUntil(string commandLine)
    {
        lock (_approvedForSession)
        {
            if (!_approvedForSession.TryGetValue(commandLine, out var standing) || standing.Decision.ValidUntil is not { } until || until <= DateTimeOffset.UtcNow)
            {
                return null;
            }

            if (broker?.Honours(standing.Request, standing.Decision) == false)
            {
                _approvedForSession.Remove(commandLine);
                return null;
            }

            return until;
        }
    }

    public (ApprovalRequest Request, Task<ApprovalDecision> Decision) Submit(string commandLine, ChannelRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var submitted = (broker ?? throw new InvalidOperationException("no approval broker is running")).Submit(sessionId, "ssh", target, requester, commandLine, rule.Name, rule.Approvers, rule.Timeout);
        lock (_pending)
        {
            _pending.Add(submitted.Request.Id);
        }

        return submitted;
    }

    /// <summary>
    /// The decision as it counts when the held command is about to run: an approval whose approver was revoked after
    /// deciding (in the instant before the command resumes) counts as a denial, never even once.
    /// </summary>
    public ApprovalDecision Effective(ApprovalRequest request, ApprovalDecision decision) =>
        decision.Outcome == ApprovalOutcome.Approved && broker?.Honours(request, decision) == false
            ? decision with { Outcome = ApprovalOutcome.Denied, Scope = ApprovalScope.Once, ValidUntil = null,
                Reason = $"the credentials of {decision.DecidedBy} have been revoked" }
            : decision;

    /// <summary>The decision arrived: a Session-scope approval lets the same command line run again until it lapses.</summary>
    public void Decided(ApprovalRequest request, ApprovalDecision decision)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decision);
        lock (_pending)
        {
            _pending.Remove(request.Id);
        }

        if (decision is { Outcome: ApprovalOutcome.Approved, Scope: ApprovalScope.Session, ValidUntil: not null })
        {
            lock (_approvedForSession)
            {
                _approvedForSession[request.Statement] = (request, decision);
            }
        }
    }

    /// <summary>The session ends or the client gave up on the channel: requests nobody decided yet can no longer be approved.</summary>
    public void Withdraw(string id, string reason) => broker?.Withdraw(id, reason);

    public void WithdrawAll(string reason)
    {
        string[] pending;
        lock (_pending)
        {
            pending = [.. _pending];
        }

        foreach (var id in pending)
        {
            broker?.Withdraw(id, reason);
        }
    }
}
