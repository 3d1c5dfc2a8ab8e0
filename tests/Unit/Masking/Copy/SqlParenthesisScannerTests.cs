using HoopProxy.Postgres.Masking.Copy;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Masking.Copy;

public sealed class SqlParenthesisScannerTests
{
    private static string? Group(string sql, int from = 0) =>
        SqlParenthesisScanner.TryFindGroup(sql, from, out var start, out var length) ? sql.Substring(start, length) : null;

    [TestCase("(a) tail", "a")]
    [TestCase("  /* c */ -- line\n (a (b) ((c))) d)", "a (b) ((c))")]
    [TestCase("(')' || '('')(')", "')' || '('')('")]
    [TestCase("(E'\\')' || e'\\\\)' ) x", "E'\\')' || e'\\\\)' ")]
    [TestCase("('\\')", "'\\'")]
    [TestCase("(\"a)\"\"b(\" )", "\"a)\"\"b(\" ")]
    [TestCase("($$ ) $$ || $tag$ )$$ ( $tag$)", "$$ ) $$ || $tag$ )$$ ( $tag$")]
    [TestCase("(a$b$ ) $b$)", "a$b$ ")]
    [TestCase("($1)", "$1")]
    [TestCase("(x -- )\n)", "x -- )\n")]
    [TestCase("(x /* ) /* ( */ ) */ )", "x /* ) /* ( */ ) */ ")]
    [TestCase("(name'x)')", "name'x)'")]
    [TestCase("(U&'\\0029' )", "U&'\\0029' ")]
    public void Finds_the_matching_parenthesis(string sql, string inner) => Assert.That(Group(sql), Is.EqualTo(inner));

    [TestCase("a (b)")]
    [TestCase("(a")]
    [TestCase("(')")]
    [TestCase("($$)")]
    [TestCase("(/* ) ")]
    [TestCase("")]
    public void Refuses_what_is_not_a_closed_group(string sql) => Assert.That(Group(sql), Is.Null);

    [Test]
    public void Skips_white_space_and_nested_comments_only()
    {
        const string sql = "  /* a /* b */ c */ -- x\n  COPY";
        Assert.That(SqlParenthesisScanner.SkipTrivia(sql, 0), Is.EqualTo(sql.IndexOf("COPY", StringComparison.Ordinal)));
        Assert.That(SqlParenthesisScanner.SkipTrivia("-x", 0), Is.Zero);
    }

    [Test]
    public void Keywords_match_whole_words_in_any_case()
    {
        Assert.That(SqlParenthesisScanner.IsKeywordAt("copy (", 0, "COPY"), Is.True);
        Assert.That(SqlParenthesisScanner.IsKeywordAt("CoPy", 0, "COPY"), Is.True);
        Assert.That(SqlParenthesisScanner.IsKeywordAt("copy_x (", 0, "COPY"), Is.False);
        Assert.That(SqlParenthesisScanner.IsKeywordAt("cop", 0, "COPY"), Is.False);
    }
}
