using HoopProxy.Core.Approvals;
using HoopProxy.Core.Identity.Revocation;
using HoopProxy.Ssh.Policy;
using HoopProxy.Ssh.Session;
using HoopProxy.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Approvals;

/// <summary>
/// An approver on the revocation list decides nothing, and an approval they gave stops counting the next time it is
/// relied on: by their token id, subject, signing key or name.
/// </summary>
public sealed class ApprovalRevocationTests
{
    private static readonly ApproverIdentity Olga = new("olga@example.test", ["dba"])
    {
        Subject = "00u-olga",
        CredentialId = "olga-token-1",
        KeyFingerprint = "jwk:olga-provider-key",
    };

    private string _directory = "";
    private string _file = "";
    private RevocationList _revocations = null!;

    [SetUp]
    public void SetUp()
    {
        _directory = Path.Combine(Path.GetTempPath(), "hoopproxy-approval-revocation-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_directory);
        _file = Path.Combine(_directory, "revoked.json");
        File.WriteAllText(_file, "{}");
        _revocations = RevocationList.OpenWithoutWatcher(_file, NullLogger.Instance, TimeSpan.FromMilliseconds(50));
    }

    [TearDown]
    public void TearDown()
    {
        _revocations.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task RevokeAsync(string json)
    {
        var before = _revocations.Current;
        await File.WriteAllTextAsync(_file, json);
        Assert.That(await Poll.UntilAsync(() => Task.FromResult(!ReferenceEquals(_revocations.Current, before)), TimeSpan.FromSeconds(10)), Is.True,
            "the revocation list reloaded");
    }

    private static (ApprovalRequest Request, Task<ApprovalDecision> Decision) Submit(ApprovalBroker broker, string statement) =>
        broker.Submit("session-7", "postgres", "bank", "alice", statement, "ddl-needs-approval", ["dba"], TimeSpan.FromMinutes(1));

    [TestCase("""{ "tokenIds": [ "olga-token-1" ] }""", RevocationKind.TokenId)]
    [TestCase("""{ "subjects": [ "00u-olga" ] }""", RevocationKind.Subject)]
    [TestCase("""{ "keyFingerprints": [ "jwk:olga-provider-key" ] }""", RevocationKind.KeyFingerprint)]
    [TestCase("""{ "users": [ "OLGA@example.test" ] }""", RevocationKind.User)]
    public async Task A_session_approval_stops_counting_once_its_approver_is_revoked(string revocation, RevocationKind kind)
    {
        var broker = new ApprovalBroker { Revocations = _revocations };
        var revoked = new List<(ApprovalRequest, ApprovalDecision, RevocationMatch)>();
        broker.ApprovalRevoked += (request, decision, match) => revoked.Add((request, decision, match));
        var (request, decided) = Submit(broker, "CREATE TABLE t (x int)");
        Assert.That(broker.Approve(request.Id, Olga, ApprovalScope.Session, TimeSpan.FromMinutes(10)).Applied, Is.True);
        var decision = await decided;
        Assert.That(decision.Approver, Is.EqualTo(Olga), "the decision keeps who decided, with the credential used");
        Assert.That(broker.Honours(request, decision), Is.True, "honoured while nothing is revoked");
        Assert.That(revoked, Is.Empty);

        await RevokeAsync(revocation);

        Assert.That(broker.Honours(request, decision), Is.False);
        var (announcedRequest, announcedDecision, match) = revoked.Single();
        Assert.That((announcedRequest, announcedDecision, match.Kind), Is.EqualTo((request, decision, kind)));
    }

    [Test]
    public async Task A_revoked_approver_can_neither_approve_nor_deny_and_the_request_stays_pending()
    {
        var broker = new ApprovalBroker { Revocations = _revocations };
        var (request, decided) = Submit(broker, "DROP TABLE t");
        await RevokeAsync("""{ "subjects": [ "00u-olga" ] }""");

        var approve = broker.Approve(request.Id, Olga, ApprovalScope.Once);
        Assert.That((approve.Applied, approve.Error, approve.Message), Is.EqualTo((false, ApprovalActionError.Revoked, "the credentials of subject '00u-olga' have been revoked")));
        var deny = broker.Deny(request.Id, Olga, "no");
        Assert.That((deny.Applied, deny.Error), Is.EqualTo((false, ApprovalActionError.Revoked)));
        Assert.That(decided.IsCompleted, Is.False);
        Assert.That(broker.PendingRequests.Select(r => r.Id), Is.EqualTo(new[] { request.Id }));

        var pia = new ApproverIdentity("pia@example.test", ["dba"]) { Subject = "00u-pia", CredentialId = "pia-token-1" };
        Assert.That(broker.Approve(request.Id, pia, ApprovalScope.Once).Applied, Is.True, "another approver still can");
    }

    [Test]
    public void Without_a_revocation_list_every_approval_is_honoured()
    {
        var broker = new ApprovalBroker();
        var (request, decided) = Submit(broker, "DROP TABLE t");
        Assert.That(broker.Approve(request.Id, Olga, ApprovalScope.Once).Applied, Is.True);
        Assert.That(broker.Honours(request, decided.Result), Is.True);
    }

    [Test]
    public async Task An_ssh_command_approved_for_the_session_is_held_again_once_its_approver_is_revoked()
    {
        var broker = new ApprovalBroker { Revocations = _revocations };
        var approvals = new CommandApprovals(broker, "session-9", "web", "alice");
        var rule = new ChannelRule("restart-needs-approval", ChannelAction.Review) { Approvers = ["dba"] };
        var (request, decided) = approvals.Submit("systemctl restart app", rule);
        Assert.That(broker.Approve(request.Id, Olga, ApprovalScope.Session, TimeSpan.FromMinutes(10)).Applied, Is.True);
        approvals.Decided(request, await decided);
        Assert.That(approvals.ApprovedUntil("systemctl restart app"), Is.Not.Null, "the standing approval lets it run again");

        await RevokeAsync("""{ "tokenIds": [ "olga-token-1" ] }""");
        Assert.That(approvals.ApprovedUntil("systemctl restart app"), Is.Null);

        await RevokeAsync("{}");
        Assert.That(approvals.ApprovedUntil("systemctl restart app"), Is.Null, "lifting the revocation does not bring a dropped approval back");
    }

    [Test]
    public async Task An_ssh_command_approved_by_someone_revoked_before_it_resumes_counts_as_denied()
    {
        var broker = new ApprovalBroker { Revocations = _revocations };
        var approvals = new CommandApprovals(broker, "session-10", "web", "alice");
        var rule = new ChannelRule("restart-needs-approval", ChannelAction.Review) { Approvers = ["dba"] };
        var (request, decided) = approvals.Submit("systemctl restart app", rule);
        Assert.That(broker.Approve(request.Id, Olga, ApprovalScope.Session, TimeSpan.FromMinutes(10)).Applied, Is.True);
        var approved = await decided;
        Assert.That(approvals.Effective(request, approved), Is.SameAs(approved), "honoured while nothing is revoked");

        await RevokeAsync("""{ "subjects": [ "00u-olga" ] }""");
        var effective = approvals.Effective(request, approved);
        Assert.That((effective.Outcome, effective.Scope, effective.Reason),
            Is.EqualTo((ApprovalOutcome.Denied, ApprovalScope.Once, "the credentials of olga@example.test have been revoked")));
        approvals.Decided(request, effective);
        Assert.That(approvals.ApprovedUntil("systemctl restart app"), Is.Null, "nor does it stand for the session");
    }
}
