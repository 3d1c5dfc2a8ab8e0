using HoopProxy.Core.Approvals;
using HoopProxy.Host.Admin;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Approvals;

/// <summary>Every request and decision of the broker leaves one audit line naming who asked, under which rule, who decided and why.</summary>
public sealed class ApprovalAuditLogTests
{
    private sealed class CapturingLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception)));
    }

    private static (ApprovalRequest Request, Task<ApprovalDecision> Decision) Submit(ApprovalBroker broker, string statement) =>
        broker.Submit("session-7", "postgres", "bank", "alice", statement, "ddl-needs-approval", ["dba"], TimeSpan.FromMinutes(1));

    [Test]
    public void A_request_and_its_denial_are_logged_with_requester_rule_approver_and_reason()
    {
        var broker = new ApprovalBroker();
        var logger = new CapturingLogger();
        using var audit = new ApprovalAuditLog(broker, logger);
        var statement = "CREATE TABLE wide (" + string.Join(", ", Enumerable.Range(0, 60).Select(i => $"column_{i} int")) + ")";
        var (request, _) = Submit(broker, statement);
        Assert.That(broker.Deny(request.Id, new ApproverIdentity("dora", ["dba"]), "not during business hours").Applied, Is.True);

        Assert.That(logger.Lines, Has.Count.EqualTo(2));
        var (requestedLevel, requested) = logger.Lines[0];
        Assert.That(requestedLevel, Is.EqualTo(LogLevel.Information));
        Assert.That(requested, Does.Contain(request.Id).And.Contain("session-7").And.Contain("alice").And.Contain("ddl-needs-approval").And.Contain("CREATE TABLE wide ("));
        Assert.That(requested, Does.Not.Contain(statement), "a long statement is cut");
        Assert.That(requested, Does.Contain(statement[..(ApprovalAuditLog.StatementLength - 1)] + "…"));

        var (decidedLevel, decided) = logger.Lines[1];
        Assert.That(decidedLevel, Is.EqualTo(LogLevel.Warning));
        Assert.That(decided, Does.Contain(request.Id).And.Contain("denied").And.Contain("alice").And.Contain("ddl-needs-approval")
            .And.Contain("approver dora").And.Contain("not during business hours"));
    }

    [Test]
    public void An_approval_is_information_and_a_refused_attempt_is_not_an_audit_event()
    {
        var broker = new ApprovalBroker();
        var logger = new CapturingLogger();
        using var audit = new ApprovalAuditLog(broker, logger);
        var (request, _) = Submit(broker, "DROP TABLE t");
        Assert.That(broker.Approve(request.Id, new ApproverIdentity("alice", ["dba"]), ApprovalScope.Once).Applied, Is.False, "self-approval");
        Assert.That(broker.Approve(request.Id, new ApproverIdentity("dora", ["dba"]), ApprovalScope.Session, TimeSpan.FromMinutes(10)).Applied, Is.True);

        Assert.That(logger.Lines.Select(l => l.Level), Is.EqualTo(new[] { LogLevel.Information, LogLevel.Information }));
        Assert.That(logger.Lines[1].Text, Does.Contain("approved for the session until").And.Contain("approver dora"));
    }

    [Test]
    public void After_disposal_nothing_more_is_logged()
    {
        var broker = new ApprovalBroker();
        var logger = new CapturingLogger();
        new ApprovalAuditLog(broker, logger).Dispose();
        var (request, _) = Submit(broker, "DROP TABLE t");
        broker.Withdraw(request.Id, "client went away");
        Assert.That(logger.Lines, Is.Empty);
    }
}
