using HoopProxy.Core.Audit;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Audit;

public sealed class AuditQueryTests
{
    private static readonly DateTimeOffset Ten = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);
    private AuditFixture _fixture = null!;

    [OneTimeSetUp]
    public async Task WriteLog()
    {
        _fixture = new AuditFixture();
        var bob = AuditFixture.AliceOnBank with
        {
            SessionId = "ssh-1",
            User = AuditUser.Local("bob", ["ops"], "deploy"),
            Resource = new AuditResource("ssh", "web", null, []),
        };
        await using var log = await _fixture.OpenAsync();
        await log.WriteAsync(AuditFixture.AliceOnBank.Event(AuditEventType.Statement, AuditOutcome.Success, action: "SELECT 1") with { Time = Ten });
        await log.WriteAsync(bob.Event(AuditEventType.Command, AuditOutcome.Success, action: "uptime") with { Time = Ten.AddMinutes(5) });
        await log.WriteAsync(AuditFixture.AliceOnBank.Event(AuditEventType.PolicyDecision, AuditOutcome.Failure, action: "DROP TABLE x", errorCode: "42501") with { Time = Ten.AddMinutes(10) });
        await log.WriteAsync(bob.Event(AuditEventType.Disconnect, AuditOutcome.Success) with { Time = Ten.AddMinutes(15) });
    }

    [OneTimeTearDown]
    public void TearDown() => _fixture.Dispose();

    private List<string?> Actions(AuditQuery query) => [.. query.Run(_fixture.LogPath).Select(l => l.Type + ":" + l.String("action"))];

    [Test]
    public void Everything_but_checkpoints_without_a_filter() =>
        Assert.That(Actions(new AuditQuery()), Is.EqualTo(new[] { "audit-log:started", "statement:SELECT 1", "command:uptime", "policy:DROP TABLE x", "disconnect:", "audit-log:stopped" }));

    [Test]
    public void By_user_name_or_subject_in_any_case()
    {
        Assert.That(Actions(new AuditQuery(User: "ALICE@example.test")), Is.EqualTo(new[] { "statement:SELECT 1", "policy:DROP TABLE x" }));
        Assert.That(Actions(new AuditQuery(User: "0f3a")), Has.Count.EqualTo(2));
        Assert.That(Actions(new AuditQuery(User: "bob")), Is.EqualTo(new[] { "command:uptime", "disconnect:" }));
    }

    [Test]
    public void By_target_type_session_and_outcome()
    {
        Assert.That(Actions(new AuditQuery(Target: "web")), Is.EqualTo(new[] { "command:uptime", "disconnect:" }));
        Assert.That(Actions(new AuditQuery(Types: ["statement", "command"])), Is.EqualTo(new[] { "statement:SELECT 1", "command:uptime" }));
        Assert.That(Actions(new AuditQuery(SessionId: "pg-1", Outcome: "failure")), Is.EqualTo(new[] { "policy:DROP TABLE x" }));
    }

    [Test]
    public void By_time_since_inclusive_until_exclusive() =>
        Assert.That(Actions(new AuditQuery(Since: Ten.AddMinutes(5), Until: Ten.AddMinutes(15))), Is.EqualTo(new[] { "command:uptime", "policy:DROP TABLE x" }));
}
