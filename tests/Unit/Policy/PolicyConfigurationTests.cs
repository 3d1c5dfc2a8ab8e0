using HoopProxy.Core.Configuration;
using HoopProxy.Postgres.Policy;
using HoopProxy.Tests.Integration;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Policy;

/// <summary>A bad rule list is refused whole, with the key that is wrong; the issue's example loads as written.</summary>
public sealed class PolicyConfigurationTests
{
    [Test]
    public void The_issues_rules_load_as_written()
    {
        var policy = StatementPolicyTests.Load(StatementPolicyTests.IssueRules);
        Assert.That(policy.Rules.Select(r => (r.Name, r.Action)), Is.EqualTo(new[]
        {
            ("no-drop-database", PolicyAction.Block), ("protect-accounts", PolicyAction.Block), ("ddl-needs-approval", PolicyAction.Review),
        }));
        Assert.That(policy.Rules[2].Timeout, Is.EqualTo(TimeSpan.FromMinutes(5)));
        Assert.That(policy.Rules[2].Approvers, Is.EqualTo(new[] { "dba" }));
    }

    [TestCase("""{ "Policies": [ { "Name": "x", "Action": "Block", "Match": { "Command": [ "DELETE" ] } } ] }""", "Policies:0:Match:Command")]
    [TestCase("""{ "Policies": [ { "Name": "x", "Action": "Block", "Match": { "Classes": [ "WRITES" ] } } ] }""", "Policies:0:Match:Classes")]
    [TestCase("""{ "Policies": [ { "Name": "x", "Action": "Block", "Match": { "Pattern": "(" } } ] }""", "Policies:0:Match:Pattern")]
    [TestCase("""{ "Policies": [ { "Name": "x", "Action": "Review", "Match": { "Classes": [ "DDL" ] } } ] }""", "Policies:0:Approvers")]
    [TestCase("""{ "Policies": [ { "Name": "x", "Action": "Stop" } ] }""", "Policies:0:Action")]
    [TestCase("""{ "Policies": [ { "Name": "x", "Action": "Mask" } ] }""", "Policies:0:Action")]
    [TestCase("""{ "Policies": [ { "Action": "Block" } ] }""", "Policies:0:Name")]
    [TestCase("""{ "Policies": [ { "Name": "x", "Action": "Block" }, { "Name": "x", "Action": "Allow" } ] }""", "Policies:1:Name")]
    [TestCase("""{ "Policies": [ { "Name": "x", "Action": "Block", "Timeout": "forever" } ] }""", "Policies:0:Timeout")]
    public void A_mistake_is_refused_naming_its_key(string json, string key)
    {
        var error = Assert.Throws<ConfigurationException>(() => StatementPolicyTests.Load(json));
        Assert.That(error!.Message, Does.StartWith(key));
    }
}
