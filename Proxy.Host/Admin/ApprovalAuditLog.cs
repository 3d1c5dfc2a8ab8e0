using System.Globalization;
using HoopProxy.Core.Approvals;
using HoopProxy.Core.Identity.Revocation;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Host.Admin;

/// <summary>
/// The audit log of approvals: one line for every request and every decision the broker makes, whoever caused it
/// (an approver, a timeout, the client going away). It holds the statement text (cut to 200 characters) but never
/// its parameters, which the broker does not have, and never a token.
/// </summary>
public sealed partial class ApprovalAuditLog : IDisposable
{
    public const int StatementLength = 200;

    private readonly ApprovalBroker _broker;
    private readonly ILogger _logger;

    public ApprovalAuditLog(ApprovalBroker broker, ILogger logger)
    {
        _broker = broker;
        _logger = logger;
        _broker.Changed += OnChanged;
        _broker.ApprovalRevoked += OnApprovalRevoked;
    }

    public void Dispose()
    {
        _broker.Changed -= OnChanged;
        _broker.ApprovalRevoked -= OnApprovalRevoked;
    }

    private void OnApprovalRevoked(ApprovalRequest request, ApprovalDecision decision, RevocationMatch revocation) =>
        LogApprovalRevoked(_logger, request.Id, decision.Scope == ApprovalScope.Session ? "for the session" : "once", request.SessionId, request.Requester,
            request.Rule, decision.DecidedBy ?? "(nobody)", revocation.Reason);

    private void OnChanged(ApprovalRequest request, ApprovalDecision? decision)
    {
        if (decision is null)
        {
            LogRequested(_logger, request.Id, request.SessionId, request.Requester, request.Protocol, request.Target, request.Rule,
                string.Join(", ", request.Approvers), request.ExpiresAt.ToString("O", CultureInfo.InvariantCulture), StatementText.Shorten(request.Statement, StatementLength));
            return;
        }

        var outcome = decision.Outcome switch
        {
            ApprovalOutcome.Approved when decision.Scope == ApprovalScope.Session =>
                $"approved for the session until {decision.ValidUntil?.ToString("O", CultureInfo.InvariantCulture)}",
            ApprovalOutcome.Approved => "approved once",
            ApprovalOutcome.Denied => "denied",
            ApprovalOutcome.TimedOut => "timed out",
            _ => "withdrawn",
        };
        var approver = decision.DecidedBy ?? "(nobody)";
        var reason = decision.Reason ?? "(none)";
        if (decision.Outcome == ApprovalOutcome.Approved)
        {
            LogApproved(_logger, request.Id, request.SessionId, request.Requester, request.Rule, outcome, approver, reason);
        }
        else
        {
            LogNotApproved(_logger, request.Id, request.SessionId, request.Requester, request.Rule, outcome, approver, reason);
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information,
        Message = "approval {Request} requested: session {Session}, requester {Requester}, target {Protocol}/{Target}, rule {Rule}, approvers {Approvers}, expires {ExpiresAt}, statement: {Statement}")]
    private static partial void LogRequested(ILogger logger, string request, string session, string requester, string protocol, string target, string rule,
        string approvers, string expiresAt, string statement);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information,
        Message = "approval {Request} {Outcome}: session {Session}, requester {Requester}, rule {Rule}, approver {Approver}, reason {Reason}")]
    private static partial void LogApproved(ILogger logger, string request, string session, string requester, string rule, string outcome, string approver, string reason);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning,
        Message = "approval {Request} ({Scope}) no longer counts, its approver is revoked; the statement needs a new approval: session {Session}, requester {Requester}, rule {Rule}, approver {Approver}, revocation {Revocation}")]
    private static partial void LogApprovalRevoked(ILogger logger, string request, string scope, string session, string requester, string rule, string approver, string revocation);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning,
        Message = "approval {Request} {Outcome}: session {Session}, requester {Requester}, rule {Rule}, approver {Approver}, reason {Reason}")]
    private static partial void LogNotApproved(ILogger logger, string request, string session, string requester, string rule, string outcome, string approver, string reason);
}
