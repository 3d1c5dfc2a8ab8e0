using System.Text;
using HoopProxy.Postgres.Masking.Copy;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Masking.Copy;

public sealed class CopyOutRewriterCsvTests
{
    private static readonly CopyOutOptions Csv = CopyOutOptions.ForCsv();

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    private static string Rewrite(CopyOutOptions options, FakeFieldMasker masker, string data) =>
        Encoding.UTF8.GetString(CopyRewriting.Run(options, masker, B(data)));

    [Test]
    public void Quoted_fields_reach_the_masker_unquoted()
    {
        var masker = FakeFieldMasker.PassThrough();
        const string data = "1,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\"\n";

        var output = Rewrite(Csv, masker, data);

        Assert.That(output, Is.EqualTo(data));
        Assert.That(masker.Seen.Select(f => f.Value), Is.EqualTo(new[] { "1", "a,b", "say \"hi\"", "two\nlines", "cr\r" }));
    }

    [Test]
    public void An_unquoted_empty_field_is_null_and_a_quoted_one_is_an_empty_string()
    {
        var masker = FakeFieldMasker.PassThrough();

        var output = Rewrite(Csv, masker, ",\"\",x,\n");

        Assert.That(output, Is.EqualTo(",\"\",x,\n"));
        Assert.That(masker.Seen, Is.EqualTo(new[] { new SeenField(1, "", false), new SeenField(2, "x", false) }));
    }

    [Test]
    public void A_field_may_mix_quoted_and_unquoted_stretches()
    {
        var masker = FakeFieldMasker.PassThrough();

        Rewrite(Csv, masker, "ab\"c,d\"e,f\n");

        Assert.That(masker.Seen.Select(f => f.Value), Is.EqualTo(new[] { "abc,de", "f" }));
    }

    [Test]
    public void Replacements_are_quoted_only_when_PostgreSQL_would_quote_them()
    {
        static string Replace(string replacement, string row = "x,y\n") => Rewrite(Csv, FakeFieldMasker.Column(0, replacement), row);

        Assert.That(Replace("plain"), Is.EqualTo("plain,y\n"));
        Assert.That(Replace("a,b"), Is.EqualTo("\"a,b\",y\n"));
        Assert.That(Replace("say \"hi\""), Is.EqualTo("\"say \"\"hi\"\"\",y\n"));
        Assert.That(Replace("two\nlines"), Is.EqualTo("\"two\nlines\",y\n"));
        Assert.That(Replace("cr\r"), Is.EqualTo("\"cr\r\",y\n"));
        Assert.That(Replace(""), Is.EqualTo("\"\",y\n"), "equal to the NULL string");
        Assert.That(Replace("\\."), Is.EqualTo("\\.,y\n"), "\\. is only quoted when it is a row's only field");
        Assert.That(Replace("\\.", "x\n"), Is.EqualTo("\"\\.\"\n"));
        Assert.That(Replace("plain", "\"x\",y\n"), Is.EqualTo("\"plain\",y\n"), "a quoted original (FORCE_QUOTE) stays quoted");
    }

    [Test]
    public void A_null_result_writes_the_null_string_unquoted()
    {
        Assert.That(Rewrite(Csv, FakeFieldMasker.Column(1, FakeFieldMasker.Null), "a,\"b\",c\n"), Is.EqualTo("a,,c\n"));
        var options = CopyOutOptions.ForCsv(nullString: "NIL");
        Assert.That(Rewrite(options, FakeFieldMasker.Column(0, FakeFieldMasker.Null), "a,b\n"), Is.EqualTo("NIL,b\n"));
    }

    [Test]
    public void Custom_delimiter_quote_escape_and_null()
    {
        var options = CopyOutOptions.ForCsv(delimiter: ';', nullString: "NIL", quote: '\'', escape: '\\', header: true);
        var masker = new FakeFieldMasker((column, _) => column == 1 ? "it's \\ ; here" : null);
        const string data = "'h;1';h2;h3\n'it\\'s; \\\\ ok';'SECRET';NIL;'NIL';\\x\n";

        var output = Rewrite(options, masker, data);

        Assert.That(output, Is.EqualTo("'h;1';h2;h3\n'it\\'s; \\\\ ok';'it\\'s \\\\ ; here';NIL;'NIL';\\x\n"));
        Assert.That(masker.Seen.Select(f => f.Value), Is.EqualTo(new[] { "it's; \\ ok", "SECRET", "NIL", "\\x" }));
        Assert.That(masker.Seen.Select(f => f.Column), Is.EqualTo(new[] { 0, 1, 3, 4 }));
    }

    [Test]
    public void An_escape_that_does_not_precede_a_quote_or_itself_is_a_plain_character()
    {
        var options = CopyOutOptions.ForCsv(escape: '\\');
        var masker = FakeFieldMasker.PassThrough();

        Rewrite(options, masker, "\"a\\b\\\\c\\\"d\"\n");

        Assert.That(masker.Seen.Select(f => f.Value), Is.EqualTo(new[] { "a\\b\\c\"d" }));
    }

    [Test]
    public void The_header_line_passes_untouched_even_with_a_quoted_newline()
    {
        var masker = FakeFieldMasker.Secrets();

        var output = Rewrite(CopyOutOptions.ForCsv(header: true), masker, "id,\"SECRET\nname\"\n1,SECRET\n");

        Assert.That(output, Is.EqualTo("id,\"SECRET\nname\"\n1,XXX\n"));
        Assert.That(masker.Seen.Select(f => f.Value), Is.EqualTo(new[] { "1", "SECRET" }));
    }

    [Test]
    public void Multi_byte_UTF_8_and_rows_split_at_every_byte()
    {
        var data = B("id,note\n1,\"é😀, SECRET\n中\"\n2,,\"\"\n3,\"q\"\"SECRET\"\"\",ü\n\n");
        var expected = B("id,note\n1,\"XXX\"\n2,,\"\"\n3,\"XXX\",ü\n\n");

        CopyRewriting.AssertEveryLayout(CopyOutOptions.ForCsv(header: true), FakeFieldMasker.Secrets, data, expected);
    }

    [Test]
    public void Rows_split_at_every_byte_with_a_distinct_escape_character()
    {
        var options = CopyOutOptions.ForCsv(delimiter: '|', quote: '\'', escape: '\\', nullString: "N");
        var data = B("'a\\'|\nSECRET'|N|'N'\n'\\\\'|x\n");
        var expected = B("'XXX'|N|'N'\n'\\\\'|x\n");

        CopyRewriting.AssertEveryLayout(options, FakeFieldMasker.Secrets, data, expected);
    }

    [Test]
    public void A_stream_ending_inside_quotes_fails()
    {
        Assert.Throws<CopyFormatException>(() => CopyRewriting.Run(Csv, FakeFieldMasker.PassThrough(), B("1,\"open\n2,x\n")));
    }
}
