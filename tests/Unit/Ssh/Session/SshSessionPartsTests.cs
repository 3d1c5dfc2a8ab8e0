using HoopProxy.Ssh.Authentication;
using HoopProxy.Ssh.Session;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh.Session;

[TestFixture]
public sealed class SshLoginNameTests
{
    private static readonly HashSet<string> Targets = ["web", "db"];

    [TestCase("alice", "alice", null)]
    [TestCase("alice+web", "alice", "web")]
    [TestCase("alice+db", "alice", "db")]
    [TestCase("alice+nosuch", "alice+nosuch", null)]
    [TestCase("al+ice+db", "al+ice", "db")]
    [TestCase("al+ice", "al+ice", null)]
    [TestCase("+web", "+web", null)]
    [TestCase("alice+", "alice+", null)]
    public void The_last_plus_sign_names_a_target_only_when_one_of_that_name_exists(string login, string user, string? target)
    {
        var name = SshLoginName.Parse(login, Targets.Contains);
        Assert.That(name, Is.EqualTo(new SshLoginName(user, target)));
    }
}

[TestFixture]
public sealed class RelayedChannelReplyOrderTests
{
    [Test]
    public void The_proxys_own_answer_waits_behind_a_relayed_request_the_target_has_not_answered()
    {
        var replies = new RelayedChannel(0, "session", openedByClient: true).ClientRequestReplies;
        Assert.That(replies.RequestSent(relayed: true, localAnswer: false), Is.Empty);
        Assert.That(replies.RequestSent(relayed: false, localAnswer: false), Is.Empty, "the refusal must not overtake the pending reply");
        Assert.That(replies.RequestSent(relayed: true, localAnswer: false), Is.Empty);

        Assert.That(replies.Replied(true), Is.EqualTo(new[] { true, false }));
        Assert.That(replies.Replied(false), Is.EqualTo(new[] { false }));
    }

    [Test]
    public void The_proxys_own_answer_goes_at_once_when_nothing_is_pending()
    {
        var replies = new RelayedChannel(0, "session", openedByClient: true).ClientRequestReplies;
        Assert.That(replies.RequestSent(relayed: false, localAnswer: false), Is.EqualTo(new[] { false }));
    }

    [Test]
    public void A_target_reply_to_no_request_is_reported()
    {
        var replies = new RelayedChannel(0, "session", openedByClient: true).ClientRequestReplies;
        Assert.That(replies.Replied(true), Is.Null);
    }
}
