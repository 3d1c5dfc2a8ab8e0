using HoopProxy.Postgres.Sql;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Sql;

/// <summary>
/// The two corpora: every bypass attempt must be detected as annotated; every ordinary statement must come out benign
/// (and meet its own annotations), so the classifier neither misses attacks nor blocks everyday traffic.
/// </summary>
public sealed class SqlCorpusTests
{
    private static readonly SqlAnalyzer Analyzer = new();

    public static IEnumerable<CorpusCase> Bypasses() => SqlCorpus.Load("bypass.txt");

    public static IEnumerable<CorpusCase> Ordinary() => SqlCorpus.Load("ordinary.txt");

    [TestCaseSource(nameof(Bypasses))]
    public void BypassIsDetected(CorpusCase corpusCase)
    {
        Assert.That(corpusCase.Expectations, Is.Not.Empty, "a bypass case must say what is to be detected");
        var analysis = Analyzer.Analyze(corpusCase.Sql);
        Assert.That(SqlCorpus.Unmet(analysis, corpusCase.Expectations), Is.Empty, Describe(analysis));
    }

    [TestCaseSource(nameof(Ordinary))]
    public void OrdinaryStatementIsBenign(CorpusCase corpusCase)
    {
        var analysis = Analyzer.Analyze(corpusCase.Sql);
        Assert.That(analysis.Parsed, Is.True, analysis.Error);
        Assert.That(analysis.Statements, Is.Not.Empty);
        foreach (var statement in analysis.Statements)
        {
            Assert.That(statement.Unrecognised, Is.False, statement.Text);
            Assert.That(statement.EffectiveCommands, Does.Not.Contain("DROP DATABASE"));
            var destructive = statement.EffectiveCommands.Any(c => c is "DELETE" or "TRUNCATE TABLE");
            Assert.That(destructive && statement.RelationsWritten.Contains("public.accounts"), Is.False, "DELETE/TRUNCATE on public.accounts");
            Assert.That(statement.EffectiveClasses, Does.Not.Contain(StatementClass.Ddl).And.Not.Contain(StatementClass.Role));
            Assert.That(statement.HasDynamicSql, Is.False, "dynamic SQL");
            Assert.That(statement.ReachesOutside, Is.False, "reaches outside");
            Assert.That(statement.Settings.All(IsSafeSetting), Is.True, "a watched setting changed to an unsafe or unknown value");
        }

        Assert.That(SqlCorpus.Unmet(analysis, corpusCase.Expectations), Is.Empty, Describe(analysis));
    }

    [Test]
    public void CorporaAreLargeEnough()
    {
        Assert.That(Bypasses().Count(), Is.GreaterThanOrEqualTo(70));
        Assert.That(Ordinary().Count(), Is.GreaterThanOrEqualTo(70));
    }

    private static bool IsSafeSetting(SettingChange change) => change switch
    {
        { Name: "client_encoding", Kind: SettingChangeKind.Set, Value: { } v } => v.Replace("-", "").Equals("utf8", StringComparison.OrdinalIgnoreCase),
        { Name: "standard_conforming_strings", Kind: SettingChangeKind.Set, Value: { } v } => v.ToLowerInvariant() is "on" or "true" or "1" or "yes",
        _ => false,
    };

    private static string Describe(SqlAnalysis analysis) =>
        !analysis.Parsed
            ? $"not parsed: {analysis.Error}"
            : string.Join(" | ", analysis.Statements.Select(s =>
                $"{s.CommandTag}/{s.Class} cmds=[{string.Join(",", s.EffectiveCommands)}] classes=[{string.Join(",", s.EffectiveClasses)}] " +
                $"R=[{string.Join(",", s.RelationsRead)}] W=[{string.Join(",", s.RelationsWritten)}] F=[{string.Join(",", s.Functions)}] " +
                $"dyn={s.HasDynamicSql} out={s.ReachesOutside} set=[{string.Join(",", s.Settings)}] unrec={s.Unrecognised}"));
}
