using HoopProxy.Postgres.Sql;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Sql;

/// <summary>
/// Statements that differ only in their numbers share a shape, and the analyzer reuses one analysis for them —
/// but only where numbers cannot change the verdict, and never by reading inside strings, bodies or identifiers.
/// </summary>
public sealed class NumericLiteralShapeTests
{
    [TestCase("SELECT abalance FROM pgbench_accounts WHERE aid = 4711;", "SELECT abalance FROM pgbench_accounts WHERE aid = 0;")]
    [TestCase("SELECT 1.5, 10e3, 0", "SELECT 0.0, 0e3, 0")]
    [TestCase("SELECT t1.c2 FROM t1 WHERE x = $12 LIMIT 25", "SELECT t1.c2 FROM t1 WHERE x = $12 LIMIT 0")]
    [TestCase("SELECT 'it''s 7', 8", "SELECT 'it''s 7', 0")]
    [TestCase("SELECT 1 -- 23\n, 4", "SELECT 0 -- 23\n, 0")]
    [TestCase("SELECT /* 1 /* 2 */ 3 */ 5", "SELECT /* 1 /* 2 */ 3 */ 0")]
    [TestCase("DO $$ BEGIN PERFORM 42; END $$; SELECT 7", "DO $$ BEGIN PERFORM 42; END $$; SELECT 0")]
    [TestCase("SELECT $body$ 42 $body$, 7", "SELECT $body$ 42 $body$, 0")]
    [TestCase("SELECT x$1, 9", "SELECT x$1, 0")]
    public void Only_numbers_outside_strings_comments_bodies_and_identifiers_are_replaced(string sql, string shape) =>
        Assert.That(NumericLiteralShape.Of(sql), Is.EqualTo(shape));

    [TestCase("SELECT a FROM t")]
    [TestCase("SELECT E'a\\'', 6")]
    [TestCase("SELECT E'a'\n'\\'', nextval('2fa_codes_id_seq')")]
    [TestCase("SELECT 'a'\n  'b', 7")]
    [TestCase("SELECT 0 FROM t2")]
    [TestCase("SELECT '12' FROM \"t3\"")]
    public void A_text_without_numbers_to_replace_or_with_escapes_or_continued_strings_has_no_shape(string sql) =>
        Assert.That(NumericLiteralShape.Of(sql), Is.Null);

    [Test]
    public void Plain_reads_differing_in_numbers_share_one_analysis_with_their_own_text()
    {
        var analyzer = new SqlAnalyzer();
        var first = analyzer.Analyze("SELECT abalance FROM pgbench_accounts WHERE aid = 4711;");
        var second = analyzer.Analyze("SELECT abalance FROM pgbench_accounts WHERE aid = 12;");

        Assert.That(analyzer.CachedShapeCount, Is.EqualTo(1));
        Assert.That(analyzer.CachedCount, Is.Zero, "one-off texts stay out of the exact cache");
        Assert.That(second.Statements.Single().Text, Is.EqualTo("SELECT abalance FROM pgbench_accounts WHERE aid = 12"));
        Assert.That(second.Statements.Single().RelationsRead, Is.EqualTo(first.Statements.Single().RelationsRead));
        Assert.That(second.Statements.Single().CommandTag, Is.EqualTo("SELECT"));
    }

    [Test]
    public void A_setting_given_as_a_number_is_analysed_every_time()
    {
        var analyzer = new SqlAnalyzer();
        var on = analyzer.Analyze("SET standard_conforming_strings = 1");
        var off = analyzer.Analyze("SET standard_conforming_strings = 0");

        Assert.That(analyzer.CachedShapeCount, Is.Zero);
        Assert.That(on.Statements.Single().Settings.Single().Value, Is.EqualTo("1"));
        Assert.That(off.Statements.Single().Settings.Single().Value, Is.EqualTo("0"));
    }

    [TestCase("SELECT set_config('standard_conforming_strings', 1::text, false)", "SELECT set_config('standard_conforming_strings', 2::text, false)")]
    [TestCase("DO $$ BEGIN DELETE FROM accounts WHERE id = 1; END $$; SELECT 1", "DO $$ BEGIN DELETE FROM accounts WHERE id = 1; END $$; SELECT 2")]
    [TestCase("SELECT 1; DELETE FROM accounts WHERE id = 1", "SELECT 1; DELETE FROM accounts WHERE id = 2")]
    public void Statements_where_a_number_could_matter_are_never_reused_by_shape(string first, string second)
    {
        var analyzer = new SqlAnalyzer();
        analyzer.Analyze(first);
        var analysis = analyzer.Analyze(second);

        Assert.That(analyzer.CachedShapeCount, Is.Zero);
        Assert.That(string.Join(";", analysis.Statements.Select(s => s.Text)), Does.Contain("2"), "the second text was analysed itself");
    }

    [Test]
    public void A_shape_hit_whose_statement_text_cannot_be_rebuilt_is_analysed_afresh()
    {
        var analyzer = new SqlAnalyzer();
        analyzer.Analyze("SELECT a FROM t WHERE id = 1");
        var withComment = analyzer.Analyze("SELECT a FROM t WHERE id = 2 -- trailing");

        Assert.That(withComment.Statements.Single().Text, Does.StartWith("SELECT a FROM t WHERE id = 2"));
        Assert.That(withComment.Statements.Single().RelationsRead, Is.EqualTo(new[] { "public.t" }));
    }
}
