using System.Text;
using BenchmarkDotNet.Attributes;
using HoopProxy.Postgres.Policy;
using HoopProxy.Postgres.Sql;
using Microsoft.Extensions.Configuration;

namespace HoopProxy.Benchmarks.Postgres.Policy;

/// <summary>
/// What the statement policy adds per pgbench -S statement, with the three rules of the issue loaded (the same JSON
/// as <c>tests/Integration/StatementPolicyTests.IssueRules</c> and <c>benchmarks/e2e/run.sh</c>'s
/// <c>hoopproxy+policy</c> path): <see cref="SqlAnalyzer.Analyze"/> then <see cref="StatementPolicy.Evaluate(PolicySubject, SqlAnalysis, PolicyAction)"/>,
/// with the analysis found by exact text, found by numeric shape, or computed from scratch. None of the rules matches
/// a SELECT, so every verdict walks all three rules and ends on the target's default (Allow), the most work an allowed
/// statement costs.
/// </summary>
[MemoryDiagnoser]
public class PolicyVerdictBenchmarks
{
    private const string IssueRules = """
        {
          "Policies": [
            { "Name": "no-drop-database", "Action": "Block", "Match": { "Commands": [ "DROP DATABASE" ] } },
            { "Name": "protect-accounts", "Action": "Block",
              "Match": { "Commands": [ "DELETE", "TRUNCATE" ], "Relations": [ "public.accounts" ] } },
            { "Name": "ddl-needs-approval", "Action": "Review", "Approvers": [ "dba" ], "Timeout": "00:05:00",
              "Match": { "Classes": [ "DDL" ] } }
          ]
        }
        """;

    /// <summary>pgbench -S's statement as -M extended and -M prepared send it (a Parse text with a parameter).</summary>
    private const string PgbenchSelect = "SELECT abalance FROM pgbench_accounts WHERE aid = $1;";

    /// <summary>pgbench -S's statement as -M simple sends it: the account number inline, a new text every time.</summary>
    private const string PgbenchSelectInlinePrefix = "SELECT abalance FROM pgbench_accounts WHERE aid = ";

    /// <summary>Distinct inline texts, built in the setup so that building the input string is not measured (the proxy gets it decoded from the wire).</summary>
    private const int InlineTexts = 1 << 16;

    private readonly PolicySubject _subject = new("bench", [], "bank");
    private StatementPolicy _policy = null!;
    private SqlAnalyzer _analyzer = null!;
    private SqlAnalyzer _uncaching = null!;
    private SqlAnalysis _analysis = null!;
    private string[] _inline = null!;
    private int _counter;

    [GlobalSetup]
    public void Setup()
    {
        using (var stream = new MemoryStream(Encoding.UTF8.GetBytes(IssueRules)))
        {
            _policy = PolicyConfiguration.FromConfiguration(new ConfigurationBuilder().AddJsonStream(stream).Build().GetSection("Policies"));
        }

        _analyzer = new SqlAnalyzer();
        // Capacity 2: every new text rotates the cache, so nothing accumulates during the uncached runs.
        _uncaching = new SqlAnalyzer(cacheCapacity: 2);
        _analysis = _analyzer.Analyze(PgbenchSelect);
        // 1..100,000 like the accounts of pgbench scale 1; numbers of varying length, as pgbench's random aid has.
        _inline = new string[InlineTexts];
        for (var i = 0; i < InlineTexts; i++)
        {
            _inline[i] = PgbenchSelectInlinePrefix + (1 + (i * 7919 % 100_000)) + ";";
        }

        // The benchmark would measure nothing useful if the rules were not loaded or the statements were not judged as expected.
        if (_policy.Rules.Count != 3)
        {
            throw new InvalidOperationException($"expected the 3 rules of the issue, loaded {_policy.Rules.Count}");
        }

        Expect(PgbenchSelect, PolicyAction.Allow);
        Expect(_inline[0], PolicyAction.Allow);
        Expect("DROP DATABASE nonexistent_db", PolicyAction.Block);
        Expect("TRUNCATE public.accounts", PolicyAction.Block);
        Expect("CREATE TABLE t (id int)", PolicyAction.Review);
        // The inline texts must take the shape path (one shape for all of them), not the exact-text cache, which holds
        // only the Parse text.
        _analyzer.Analyze(_inline[1]);
        _analyzer.Analyze(_inline[2]);
        if (_analyzer.CachedShapeCount != 1 || _analyzer.CachedCount != 1)
        {
            throw new InvalidOperationException("the inline pgbench statements are not analysed by shape");
        }
    }

    private void Expect(string sql, PolicyAction expected)
    {
        var verdict = _policy.Evaluate(_subject, new SqlAnalyzer().Analyze(sql), PolicyAction.Allow);
        if (verdict.Action != expected)
        {
            throw new InvalidOperationException($"{sql}: expected {expected}, got {verdict.Action} ({verdict.Reason})");
        }
    }

    /// <summary>
    /// The rules alone, over an analysis the caller already holds: the floor under the others. Measured 360 B per call
    /// at commit 12c0166 (the rule matching allocates, not the analysis: the cached benchmark below allocates the same).
    /// </summary>
    [Benchmark(Baseline = true)]
    public PolicyVerdict EvaluateOnly() => _policy.Evaluate(_subject, _analysis, PolicyAction.Allow);

    /// <summary>
    /// (a) -M extended / prepared: the same Parse text every time, so the analysis is an exact-text cache hit, then
    /// the rules. Measured 360 B, all of it in the rule matching (see <see cref="EvaluateOnly"/>).
    /// </summary>
    [Benchmark]
    public PolicyVerdict CachedAnalysisAndEvaluate() => _policy.Evaluate(_subject, _analyzer.Analyze(PgbenchSelect), PolicyAction.Allow);

    /// <summary>
    /// (b) -M simple: a text that differs from the last only in its number, so the analysis comes from the numeric
    /// shape cache (scan the text for its shape, look the shape up, rebind the stored analysis to this text), then the
    /// rules. Allocates the shape string and the rebound analysis: 1784 B measured at commit 12c0166, rules included.
    /// </summary>
    [Benchmark]
    public PolicyVerdict ShapeCachedAnalysisAndEvaluate() =>
        _policy.Evaluate(_subject, _analyzer.Analyze(_inline[_counter++ & (InlineTexts - 1)]), PolicyAction.Allow);

    /// <summary>
    /// (c) For comparison: a text never seen before (the Parse text with a distinct trailing comment, which neither the
    /// exact-text cache nor the shape cache can match), so libpg_query parses it, then the rules. Includes building
    /// the distinct text. Allocates the JSON parse tree and the analysis: 8960 B measured at commit 12c0166, rules included.
    /// </summary>
    [Benchmark]
    public PolicyVerdict UncachedAnalysisAndEvaluate() =>
        _policy.Evaluate(_subject, _uncaching.Analyze(PgbenchSelect + " -- " + _counter++), PolicyAction.Allow);
}
