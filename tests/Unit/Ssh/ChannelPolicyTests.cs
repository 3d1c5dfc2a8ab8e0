using HoopProxy.Core.Configuration;
using HoopProxy.Ssh.Policy;
using Microsoft.Extensions.Configuration;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh;

[TestFixture]
public sealed class ChannelPolicyTests
{
    private static ChannelPolicy Load(string json)
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        return ChannelPolicy.FromConfiguration(configuration.GetSection("SshPolicies"));
    }

    private static ChannelSubject Tunnel(string host, uint port, string user = "alice", string target = "web") =>
        new(user, ["engineers"], target, ChannelPolicy.DirectTcpip, host, port);

    [Test]
    public void Commands_run_unless_a_rule_blocks_them_and_an_unreadable_line_is_blocked_when_rules_name_programs()
    {
        var policy = Load("""
            { "SshPolicies": [
              { "Name": "no-rm", "Action": "Block", "Match": { "Commands": [ "rm" ] } },
              { "Name": "tunnels", "Action": "Allow", "Match": { "Channels": [ "direct-tcpip" ] } }
            ] }
            """);

        Assert.That(policy.DecideExec("alice", [], "web", "ls -l"), Is.EqualTo(new ChannelVerdict(ChannelAction.Allow, null)));
        Assert.That(policy.DecideExec("alice", [], "web", "ls; sudo rm -rf /"), Is.EqualTo(new ChannelVerdict(ChannelAction.Block, "no-rm")));
        var unreadable = policy.DecideExec("alice", [], "web", "echo 'oops");
        Assert.That(unreadable.Action, Is.EqualTo(ChannelAction.Block));
        Assert.That(unreadable.Unreadable, Is.True);
        Assert.That(ChannelPolicy.Empty.DecideExec("alice", [], "web", "echo 'oops").Action, Is.EqualTo(ChannelAction.Allow),
            "without rules naming programs nothing depends on reading it");
    }

    [Test]
    public void Review_rules_hold_commands_with_their_approvers_and_shell_rules_apply_to_typed_lines_only()
    {
        var policy = Load("""
            { "SshPolicies": [
              { "Name": "no-rm-root", "Action": "Block", "Match": { "Channels": [ "shell" ], "Pattern": "rm -rf /$" } },
              { "Name": "psql-review", "Action": "Review", "Approvers": [ "dba", "dora" ], "Timeout": "00:00:30", "Match": { "Commands": [ "psql" ] } }
            ] }
            """);

        Assert.That(policy.DecideExec("alice", [], "web", "psql -c 'select 1'"), Is.EqualTo(new ChannelVerdict(ChannelAction.Review, "psql-review")));
        var review = policy.RuleNamed("psql-review")!;
        Assert.That((review.Approvers, review.Timeout), Is.EqualTo((new[] { "dba", "dora" }, TimeSpan.FromSeconds(30))));
        Assert.That(policy.DecideTypedLine("alice", [], "web", "sudo rm -rf /"), Is.EqualTo(new ChannelVerdict(ChannelAction.Block, "no-rm-root")));
        Assert.That(policy.DecideExec("alice", [], "web", "sudo rm -rf /").Action, Is.EqualTo(ChannelAction.Allow), "the rule names typed lines only");
        Assert.That(policy.DecideTypedLine("alice", [], "web", "ls").Action, Is.EqualTo(ChannelAction.Allow));
    }

    [TestCase(ChannelPolicy.Agent, ChannelAction.Block)]
    [TestCase(ChannelPolicy.X11, ChannelAction.Block)]
    [TestCase(ChannelPolicy.TcpipForward, ChannelAction.Block)]
    [TestCase(ChannelPolicy.Sftp, ChannelAction.Allow)]
    [TestCase(ChannelPolicy.Shell, ChannelAction.Allow)]
    public void Without_a_rule_forwarding_of_any_kind_is_denied_and_what_runs_inside_a_session_is_allowed(string kind, ChannelAction expected)
    {
        Assert.That(ChannelPolicy.Empty.Decide(new ChannelSubject("alice", [], "web", kind)).Action, Is.EqualTo(expected));
    }

    [Test]
    public void Forwarding_is_denied_when_no_rule_matches()
    {
        Assert.That(ChannelPolicy.Empty.Decide(Tunnel("db.internal", 5432)), Is.EqualTo(new ChannelVerdict(ChannelAction.Block, null)));
    }

    [Test]
    public void The_first_matching_rule_decides_by_user_group_target_channel_and_destination()
    {
        var policy = Load("""
            { "SshPolicies": [
              { "Name": "no-metadata", "Action": "Block", "Match": { "Destinations": [ "169.254.169.254:*" ] } },
              { "Name": "db-tunnels", "Action": "Allow",
                "Match": { "Groups": [ "engineers" ], "Targets": [ "web" ], "Channels": [ "direct-tcpip" ], "Destinations": [ "*.internal:5432", "[::1]:22" ] } }
            ] }
            """);

        Assert.That(policy.Decide(Tunnel("db.internal", 5432)).Rule, Is.EqualTo("db-tunnels"));
        Assert.That(policy.Decide(Tunnel("DB.Internal", 5432)).Action, Is.EqualTo(ChannelAction.Allow), "host names compare without case");
        Assert.That(policy.Decide(Tunnel("::1", 22)).Action, Is.EqualTo(ChannelAction.Allow));
        Assert.That(policy.Decide(Tunnel("db.internal", 5433)).Action, Is.EqualTo(ChannelAction.Block), "another port");
        Assert.That(policy.Decide(Tunnel("db.internal.evil.com", 5432)).Action, Is.EqualTo(ChannelAction.Block), "the wildcard does not end early");
        Assert.That(policy.Decide(Tunnel("db.internal", 5432, target: "db")).Action, Is.EqualTo(ChannelAction.Block), "another target");
        Assert.That(policy.Decide(new ChannelSubject("bob", ["analysts"], "web", ChannelPolicy.DirectTcpip, "db.internal", 5432)).Action,
            Is.EqualTo(ChannelAction.Block), "another group");
        Assert.That(policy.Decide(Tunnel("169.254.169.254", 80)), Is.EqualTo(new ChannelVerdict(ChannelAction.Block, "no-metadata")));
    }

    [TestCase("""{ "SshPolicies": [ { "Name": "a", "Action": "Allow", "Match": { "Channels": [ "telnet" ] } } ] }""", "SshPolicies:0:Match:Channels")]
    [TestCase("""{ "SshPolicies": [ { "Name": "a" } ] }""", "SshPolicies:0:Action")]
    [TestCase("""{ "SshPolicies": [ { "Name": "a", "Action": "Allow", "Match": { "Destinations": [ "db.internal" ] } } ] }""", "SshPolicies:0:Match:Destinations")]
    [TestCase("""{ "SshPolicies": [ { "Name": "a", "Action": "Allow", "Match": { "Destinations": [ "db:70000" ] } } ] }""", "SshPolicies:0:Match:Destinations")]
    [TestCase("""{ "SshPolicies": [ { "Name": "a", "Action": "Ask" } ] }""", "SshPolicies:0:Action")]
    [TestCase("""{ "SshPolicies": [ { "Name": "a", "Action": "Review" } ] }""", "SshPolicies:0:Approvers")]
    [TestCase("""{ "SshPolicies": [ { "Name": "a", "Action": "Allow", "Match": { "Pattern": "(" } } ] }""", "SshPolicies:0:Match:Pattern")]
    [TestCase("""{ "SshPolicies": [ { "Name": "a", "Action": "Allow", "Match": { "Programs": [ "rm" ] } } ] }""", "SshPolicies:0:Match")]
    [TestCase("""{ "SshPolicies": [ { "Name": "a", "Action": "Allow" }, { "Name": "a", "Action": "Block" } ] }""", "SshPolicies:1:Name")]
    public void A_bad_rule_is_refused_naming_its_key(string json, string key)
    {
        var error = Assert.Throws<ConfigurationException>(() => Load(json));
        Assert.That(error!.Message, Does.StartWith(key));
    }
}
