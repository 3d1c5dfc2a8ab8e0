using System.Collections.Concurrent;
using System.Security.Cryptography;
using HoopProxy.Core.Identity.Revocation;

namespace HoopProxy.Core.Approvals;

/// <summary>
/// Holds requests for approval until an approver decides, the request times out, or the requester withdraws it.
/// Shared by every listener (PostgreSQL statements, SSH commands). An approver must be named by the rule (by name
/// or group) and may never decide their own request. An approver whose credential is revoked can decide nothing, and
/// the Session-scope approvals they granted earlier stop counting (<see cref="Honours"/>).
/// </summary>
public sealed class ApprovalBroker
{
    /// <summary>The longest a Session-scope approval may last, whatever the approver asks for.</summary>
    public static readonly TimeSpan MaxSessionWindow = TimeSpan.FromHours(12);

    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public ApprovalBroker(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Every request and decision as it happens, for the audit log.</summary>
    public event Action<ApprovalRequest, ApprovalDecision?>? Changed;

    /// <summary>An approval was about to be relied on, but its approver has been revoked since: for the audit log.</summary>
    public event Action<ApprovalRequest, ApprovalDecision, RevocationMatch>? ApprovalRevoked;

    /// <summary>The revocation list approvers are checked against when they decide and whenever their approval is relied on.</summary>
    public RevocationList Revocations { get; init; } = RevocationList.None;

    private sealed class Pending(ApprovalRequest request)
    {
        public ApprovalRequest Request { get; } = request;
        public TaskCompletionSource<ApprovalDecision> Decision { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public ITimer? Timeout { get; set; }
    }

    public IReadOnlyList<ApprovalRequest> PendingRequests => _pending.Values.Select(p => p.Request).OrderBy(r => r.RequestedAt).ToList();

    /// <summary>Files a request; the task completes with the decision (never faults).</summary>
    public (ApprovalRequest Request, Task<ApprovalDecision> Decision) Submit(string sessionId, string protocol, string target, string requester,
        string statement, string rule, IReadOnlyList<string> approvers, TimeSpan timeout)
    {
        var now = _time.GetUtcNow();
        var request = new ApprovalRequest
        {
            Id = "apr-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5)),
            SessionId = sessionId,
            Protocol = protocol,
            Target = target,
            Requester = requester,
            Statement = statement,
            Rule = rule,
            Approvers = approvers,
            RequestedAt = now,
            ExpiresAt = now + timeout,
        };
        var pending = new Pending(request);
        _pending[request.Id] = pending;
        // Announced before the timer can fire, so the log never shows a timeout before its request.
        Changed?.Invoke(request, null);
        pending.Timeout = _time.CreateTimer(_ => Finish(request.Id, new ApprovalDecision
        {
            Outcome = ApprovalOutcome.TimedOut,
            Reason = $"no approver decided within {timeout}",
            DecidedAt = _time.GetUtcNow(),
        }), null, timeout, Timeout.InfiniteTimeSpan);
        return (request, pending.Decision.Task);
    }

    public ApprovalActionResult Approve(string id, ApproverIdentity approver, ApprovalScope scope, TimeSpan? window = null)
    {
        if (scope == ApprovalScope.Session && (window is not { } w || w <= TimeSpan.Zero || w > MaxSessionWindow))
        {
            return new ApprovalActionResult(false, $"a session approval needs a window from 00:00:01 to {MaxSessionWindow}", ApprovalActionError.Invalid);
        }

        return Decide(id, approver, now => new ApprovalDecision
        {
            Outcome = ApprovalOutcome.Approved,
            DecidedBy = approver.Name,
            Approver = approver,
            Scope = scope,
            ValidUntil = scope == ApprovalScope.Session ? now + window : null,
            DecidedAt = now,
        });
    }

    public ApprovalActionResult Deny(string id, ApproverIdentity approver, string reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            return new ApprovalActionResult(false, "a denial needs a reason", ApprovalActionError.Invalid);
        }

        return Decide(id, approver, now => new ApprovalDecision
        {
            Outcome = ApprovalOutcome.Denied,
            DecidedBy = approver.Name,
            Approver = approver,
            Reason = reason,
            DecidedAt = now,
        });
    }

    /// <summary>Whether the request's rule names the approver, by name or by one of their groups.</summary>
    public static bool IsNamedApprover(ApprovalRequest request, ApproverIdentity approver)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(approver);
        return request.Approvers.Any(a => a == approver.Name || approver.Groups.Contains(a, StringComparer.Ordinal));
    }

    /// <summary>Whether the approver's name or credential is on the revocation list now.</summary>
    public RevocationMatch? RevocationOf(ApproverIdentity approver)
    {
        ArgumentNullException.ThrowIfNull(approver);
        return Revocations.IsRevoked(user: approver.Name, subject: approver.Subject, tokenId: approver.CredentialId, keyFingerprint: approver.KeyFingerprint);
    }

    /// <summary>
    /// Whether an approval still counts before it is relied on (a standing Session-scope approval reused, a held
    /// statement resumed): not once its approver has been revoked. A refusal is announced through
    /// <see cref="ApprovalRevoked"/>; the caller forgets the approval, so that is once per approval.
    /// </summary>
    public bool Honours(ApprovalRequest request, ApprovalDecision decision)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decision);
        if (decision.Approver is not { } approver || RevocationOf(approver) is not { } revoked)
        {
            return true;
        }

        ApprovalRevoked?.Invoke(request, decision, revoked);
        return false;
    }

    /// <summary>The requester cancelled or disconnected: the request is gone, nobody can approve it any more.</summary>
    public void Withdraw(string id, string reason) => Finish(id, new ApprovalDecision
    {
        Outcome = ApprovalOutcome.Withdrawn,
        Reason = reason,
        DecidedAt = _time.GetUtcNow(),
    });

    private ApprovalActionResult Decide(string id, ApproverIdentity approver, Func<DateTimeOffset, ApprovalDecision> decision)
    {
        if (!_pending.TryGetValue(id, out var pending))
        {
            return new ApprovalActionResult(false, $"no pending request {id} (unknown, or already decided)", ApprovalActionError.NotFound);
        }

        // Checked here as well as when the admin API authenticated the token: the list may have changed since.
        if (RevocationOf(approver) is { } revoked)
        {
            return new ApprovalActionResult(false, revoked.Reason, ApprovalActionError.Revoked);
        }

        var request = pending.Request;
        if (string.Equals(approver.Name, request.Requester, StringComparison.Ordinal))
        {
            return new ApprovalActionResult(false, $"{approver.Name} cannot decide their own request", ApprovalActionError.Forbidden);
        }

        if (!IsNamedApprover(request, approver))
        {
            return new ApprovalActionResult(false, $"{approver.Name} is not an approver for rule \"{request.Rule}\" (approvers: {string.Join(", ", request.Approvers)})",
                ApprovalActionError.Forbidden);
        }

        var made = decision(_time.GetUtcNow());
        return Finish(id, made)
            ? new ApprovalActionResult(true, $"{id} {made.Outcome.ToString().ToLowerInvariant()} by {approver.Name}")
            : new ApprovalActionResult(false, $"{id} was decided meanwhile", ApprovalActionError.AlreadyDecided);
    }

    /// <summary>The first decision wins; later ones (a timeout racing an approval) find nothing to decide.</summary>
    private bool Finish(string id, ApprovalDecision decision)
    {
        if (!_pending.TryRemove(id, out var pending))
        {
            return false;
        }

        pending.Timeout?.Dispose();
        pending.Decision.TrySetResult(decision);
        Changed?.Invoke(pending.Request, decision);
        return true;
    }
}
