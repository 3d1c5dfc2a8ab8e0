using System.Runtime.CompilerServices;
using HoopProxy.Postgres.Policy;
using HoopProxy.Postgres.Sql;
using HoopProxy.Tests.Integration;
using HoopProxy.Tests.Unit.Sql;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Policy;

/// <summary>
/// The rules, as written, against the corpora: every bypass attempt in Corpus/stopped.txt is stopped by the
/// rule it names (or fails closed), and every ordinary statement in the SQL corpus passes.
/// </summary>
public sealed class PolicyCorpusTests
{
    private const string Rules = """
        { "Policies": [
          { "Name": "no-drop-database", "Action": "Block", "Match": { "Commands": [ "DROP DATABASE" ] } },
          { "Name": "protect-accounts", "Action": "Block", "Match": { "Commands": [ "DELETE", "TRUNCATE" ], "Relations": [ "public.accounts" ] } },
          { "Name": "ddl-needs-approval", "Action": "Review", "Approvers": [ "dba" ], "Timeout": "00:05:00", "Match": { "Classes": [ "DDL" ] } },
          { "Name": "no-outside-access", "Action": "Block", "Match": { "ReachesOutside": true } }
        ] }
        """;

    private static readonly StatementPolicy Policy = StatementPolicyTests.Load(Rules);
    private static readonly SqlAnalyzer Analyzer = new();
    private static readonly PolicySubject Alice = new("alice", ["analysts"], "bank");

    public sealed record StoppedCase(int Line, PolicyAction Action, string Rule, string Sql)
    {
        public override string ToString() => $"stopped.txt:{Line} {Sql}";
    }

    /// <summary>The corpus is read from the source tree, as the SQL corpora are.</summary>
    private static string CorpusFile([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "Corpus", "stopped.txt");

    public static IEnumerable<StoppedCase> Stopped()
    {
        var lines = File.ReadAllLines(CorpusFile());
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0 || lines[i].StartsWith('#'))
            {
                continue;
            }

            var separator = lines[i].IndexOf("|||", StringComparison.Ordinal);
            var head = lines[i][..separator].Trim();
            var space = head.IndexOf(' ');
            yield return new StoppedCase(i + 1, Enum.Parse<PolicyAction>(head[..space]), head[(space + 1)..], lines[i][(separator + 3)..].Trim());
        }
    }

    public static IEnumerable<CorpusCase> Ordinary() => SqlCorpus.Load("ordinary.txt");

    [Test]
    public void The_corpora_are_large_enough()
    {
        Assert.That(Stopped().Count(), Is.GreaterThanOrEqualTo(60));
        Assert.That(Ordinary().Count(), Is.GreaterThanOrEqualTo(60));
    }

    [TestCaseSource(nameof(Stopped))]
    public void Every_bypass_attempt_is_stopped_by_the_rule_that_covers_it(StoppedCase attempt)
    {
        var verdict = Policy.Evaluate(Alice, Analyzer.Analyze(attempt.Sql), PolicyAction.Allow);
        Assert.That((verdict.Action, verdict.RuleName), Is.EqualTo((attempt.Action, attempt.Rule)), verdict.Reason);
    }

    [TestCaseSource(nameof(Ordinary))]
    public void Every_ordinary_statement_passes(CorpusCase statement)
    {
        var verdict = Policy.Evaluate(Alice, Analyzer.Analyze(statement.Sql), PolicyAction.Allow);
        Assert.That(verdict.Action, Is.EqualTo(PolicyAction.Allow), verdict.Reason);
    }

    [Test]
    public void A_rule_for_other_users_or_targets_does_not_apply()
    {
        var scoped = StatementPolicyTests.Load("""
            { "Policies": [ { "Name": "contractors", "Action": "Block",
                "Match": { "Groups": [ "contractors" ], "Targets": [ "bank" ], "Classes": [ "WRITE" ] } } ] }
            """);
        var write = Analyzer.Analyze("UPDATE accounts SET balance = 0");
        Assert.That(scoped.Evaluate(Alice, write, PolicyAction.Allow).Action, Is.EqualTo(PolicyAction.Allow));
        Assert.That(scoped.Evaluate(new PolicySubject("carl", ["contractors"], "bank"), write, PolicyAction.Allow).Action, Is.EqualTo(PolicyAction.Block));
        Assert.That(scoped.Evaluate(new PolicySubject("carl", ["contractors"], "reports"), write, PolicyAction.Allow).Action, Is.EqualTo(PolicyAction.Allow));
    }

    [Test]
    public void Dynamic_sql_matches_every_block_rule_unless_explicitly_allowed_for_the_user()
    {
        var dynamic = Analyzer.Analyze("DO $$ BEGIN EXECUTE 'SELECT 1'; END $$");
        Assert.That(Policy.Evaluate(Alice, dynamic, PolicyAction.Allow).RuleName, Is.EqualTo("no-drop-database"));

        var allowing = StatementPolicyTests.Load("""
            { "Policies": [
              { "Name": "dba-dynamic", "Action": "Allow", "Match": { "Users": [ "dora" ], "DynamicSql": true } },
              { "Name": "no-drop-database", "Action": "Block", "Match": { "Commands": [ "DROP DATABASE" ] } }
            ] }
            """);
        Assert.That(allowing.Evaluate(new PolicySubject("dora", [], "bank"), dynamic, PolicyAction.Allow).Action, Is.EqualTo(PolicyAction.Allow));
        Assert.That(allowing.Evaluate(Alice, dynamic, PolicyAction.Allow).Action, Is.EqualTo(PolicyAction.Block));
    }

    [Test]
    public void A_target_that_blocks_by_default_allows_only_what_a_rule_allows()
    {
        var allowList = StatementPolicyTests.Load("""
            { "Policies": [ { "Name": "reads", "Action": "Allow", "Match": { "Classes": [ "READ" ] } } ] }
            """);
        Assert.That(allowList.Evaluate(Alice, Analyzer.Analyze("SELECT * FROM accounts"), PolicyAction.Block).Action, Is.EqualTo(PolicyAction.Allow));
        Assert.That(allowList.Evaluate(Alice, Analyzer.Analyze("UPDATE accounts SET balance = 0"), PolicyAction.Block).Action, Is.EqualTo(PolicyAction.Block));
    }

    [Test]
    public void Dynamic_sql_is_held_by_a_review_rule_when_no_block_rule_applies()
    {
        var reviewOnly = StatementPolicyTests.Load("""
            { "Policies": [ { "Name": "deletes-need-approval", "Action": "Review", "Approvers": [ "dba" ], "Match": { "Commands": [ "DELETE" ] } } ] }
            """);
        foreach (var sql in new[] { "DO $$ BEGIN EXECUTE 'DELETE FROM t'; END $$", "SELECT dblink_exec('x', 'DELETE FROM t')" })
        {
            Assert.That(reviewOnly.Evaluate(Alice, Analyzer.Analyze(sql), PolicyAction.Allow).Action, Is.EqualTo(PolicyAction.Review), sql);
        }
    }
}
