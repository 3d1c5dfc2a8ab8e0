using System.Buffers;
using System.Text;
using HoopProxy.Postgres.Masking.Copy;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Masking.Copy;

public sealed class CopyOutRewriterTextTests
{
    private static readonly CopyOutOptions Text = CopyOutOptions.ForText();

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    private static string Rewrite(CopyOutOptions options, FakeFieldMasker masker, string data) =>
        Encoding.UTF8.GetString(CopyRewriting.Run(options, masker, B(data)));

    [Test]
    public void Fields_are_split_on_tabs_and_a_masked_field_is_replaced_in_place()
    {
        var masker = FakeFieldMasker.Secrets();

        var output = Rewrite(Text, masker, "1\tAnn\tSECRET pw\n2\tBob\tnothing\n");

        Assert.That(output, Is.EqualTo("1\tAnn\tXXX\n2\tBob\tnothing\n"));
        Assert.That(masker.Seen, Is.EqualTo(new[]
        {
            new SeenField(0, "1", false), new SeenField(1, "Ann", false), new SeenField(2, "SECRET pw", false),
            new SeenField(0, "2", false), new SeenField(1, "Bob", false), new SeenField(2, "nothing", false),
        }));
    }

    [Test]
    public void Null_fields_pass_untouched_without_asking_the_masker()
    {
        var masker = FakeFieldMasker.Secrets();

        var output = Rewrite(Text, masker, "\\N\tSECRET\t\\N\n");

        Assert.That(output, Is.EqualTo("\\N\tXXX\t\\N\n"));
        Assert.That(masker.Seen.Select(f => f.Column), Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public void An_escaped_N_that_is_not_the_whole_field_is_text()
    {
        var masker = FakeFieldMasker.PassThrough();

        Rewrite(Text, masker, "\\\\N\tx\\N\n");

        Assert.That(masker.Seen.Select(f => f.Value), Is.EqualTo(new[] { "\\N", "xN" }));
    }

    [Test]
    public void The_masker_sees_values_with_every_escape_decoded()
    {
        var masker = FakeFieldMasker.PassThrough();
        const string row = "a\\tb\tc\\\\d\tx\\ny\\rz\t\\b\\f\\v\t\\101\\7\\0612\t\\x41\\x4\\xg\t\\q\\.\\\t\n";

        var output = Rewrite(Text, masker, row);

        Assert.That(output, Is.EqualTo(row), "untouched fields keep their spelling");
        Assert.That(masker.Seen.Select(f => f.Value), Is.EqualTo(new[]
        {
            "a\tb", "c\\d", "x\ny\rz", "\b\f\v", "A\u0007" + "12", "A\u0004xg", "q.\t",
        }));
    }

    [Test]
    public void Octal_escapes_above_255_keep_their_low_byte()
    {
        var masker = FakeFieldMasker.PassThrough();

        Rewrite(Text, masker, "\\541\tend\n");

        Assert.That(masker.Seen.Select(f => f.Value), Is.EqualTo(new[] { "a", "end" }));
    }

    [Test]
    public void A_replacement_is_escaped_as_PostgreSQL_writes_text()
    {
        var masker = FakeFieldMasker.Column(0, "t\ta\\b\nc\rd\be\ff\vg\u0001h");

        var output = Rewrite(Text, masker, "x\ty\n");

        Assert.That(output, Is.EqualTo("t\\ta\\\\b\\nc\\rd\\be\\ff\\vg\u0001h\ty\n"));
    }

    [Test]
    public void A_custom_delimiter_is_escaped_in_replacements_and_escaped_delimiters_do_not_split()
    {
        var options = CopyOutOptions.ForText(delimiter: '|', nullString: "NULL");
        var masker = new FakeFieldMasker((column, value) => column == 1 ? "a|b\t" : null);

        var output = Rewrite(options, masker, "x\\|y|old|NULL\n");

        Assert.That(output, Is.EqualTo("x\\|y|a\\|b\\t|NULL\n"));
        Assert.That(masker.Seen.Select(f => f.Value), Is.EqualTo(new[] { "x|y", "old" }));
    }

    [Test]
    public void A_control_character_delimiter_is_escaped_with_a_backslash()
    {
        var options = CopyOutOptions.ForText(delimiter: '\u0001');
        var masker = FakeFieldMasker.Column(0, "a\u0001b");

        Assert.That(Rewrite(options, masker, "x\u0001y\n"), Is.EqualTo("a\\\u0001b\u0001y\n"));
    }

    [Test]
    public void A_null_result_writes_the_null_string()
    {
        Assert.That(Rewrite(Text, FakeFieldMasker.Column(1, FakeFieldMasker.Null), "a\tb\tc\n"), Is.EqualTo("a\t\\N\tc\n"));
        Assert.That(Rewrite(CopyOutOptions.ForText(nullString: ""), FakeFieldMasker.Column(0, FakeFieldMasker.Null), "a\tb\n"), Is.EqualTo("\tb\n"));
    }

    [Test]
    public void Escaped_newlines_do_not_end_a_row()
    {
        var masker = FakeFieldMasker.Secrets();

        var output = Rewrite(Text, masker, "line\\\nSECRET\tz\n");

        Assert.That(output, Is.EqualTo("XXX\tz\n"));
        Assert.That(masker.Seen[0].Value, Is.EqualTo("line\nSECRET"));
    }

    [Test]
    public void Multi_byte_UTF_8_reaches_the_masker_whole()
    {
        var masker = FakeFieldMasker.Secrets();

        var output = Rewrite(Text, masker, "é😀 SECRET 中文\tü\n");

        Assert.That(output, Is.EqualTo("XXX\tü\n"));
        Assert.That(masker.Seen[0].Value, Is.EqualTo("é😀 SECRET 中文"));
    }

    [Test]
    public void The_header_line_passes_untouched()
    {
        var masker = FakeFieldMasker.Secrets();

        var output = Rewrite(CopyOutOptions.ForText(header: true), masker, "id\tSECRET_column\n1\tSECRET\n");

        Assert.That(output, Is.EqualTo("id\tSECRET_column\n1\tXXX\n"));
        Assert.That(masker.Seen.Select(f => f.Value), Is.EqualTo(new[] { "1", "SECRET" }));
    }

    [Test]
    public void Rows_split_across_messages_at_every_byte_and_several_rows_per_message_give_the_same_output()
    {
        var data = B("h\\\\eader\tSECRET\n1\té😀SECRET\\t中\t\\N\n\\\n2\\\\\tplain\\x41\tSECRET\n\n3\t\\101\tok\n");
        var expected = B("h\\\\eader\tSECRET\n1\tXXX\t\\N\n\\\n2\\\\\tplain\\x41\tXXX\n\n3\t\\101\tok\n");

        CopyRewriting.AssertEveryLayout(CopyOutOptions.ForText(header: true), FakeFieldMasker.Secrets, data, expected);
    }

    [Test]
    public void Rows_arriving_one_per_message_are_written_one_per_call()
    {
        using var rewriter = new CopyOutRewriter(Text, FakeFieldMasker.Secrets());
        var output = new ArrayBufferWriter<byte>();

        rewriter.Rewrite(new ReadOnlySequence<byte>(B("1\tSECR")), output);
        Assert.That(output.WrittenCount, Is.Zero, "nothing of an unfinished row is written");
        rewriter.Rewrite(new ReadOnlySequence<byte>(B("ET\n2\tx\n3\t")), output);
        Assert.That(Encoding.UTF8.GetString(output.WrittenSpan), Is.EqualTo("1\tXXX\n2\tx\n"));
    }

    [Test]
    public void A_stream_that_ends_inside_a_row_fails_and_stays_failed()
    {
        using var rewriter = new CopyOutRewriter(Text, FakeFieldMasker.Secrets());
        var output = new ArrayBufferWriter<byte>();
        rewriter.Rewrite(new ReadOnlySequence<byte>(B("1\tSECRET\n2\tSECRET")), output);

        Assert.Throws<CopyFormatException>(rewriter.Complete);
        Assert.Throws<CopyFormatException>(() => rewriter.Rewrite(new ReadOnlySequence<byte>(B("\n")), output));
        Assert.That(Encoding.UTF8.GetString(output.WrittenSpan), Is.EqualTo("1\tXXX\n"));
    }

    [Test]
    public void A_row_longer_than_the_limit_is_refused()
    {
        using var rewriter = new CopyOutRewriter(Text, FakeFieldMasker.PassThrough(), maxRowBytes: 8);
        var output = new ArrayBufferWriter<byte>();
        rewriter.Rewrite(new ReadOnlySequence<byte>(B("12345")), output);

        Assert.Throws<CopyFormatException>(() => rewriter.Rewrite(new ReadOnlySequence<byte>(B("6789")), output));
    }

    [Test]
    public void A_masker_that_masks_nothing_is_not_asked_but_the_data_is_still_checked()
    {
        var data = B("h\tx\n\\N\tSECRET\n");

        CopyRewriting.AssertEveryLayout(CopyOutOptions.ForText(header: true), () => new NothingToMaskMasker(), data, data);
        Assert.Throws<CopyFormatException>(() => CopyRewriting.Run(Text, new NothingToMaskMasker(), B("unfinished")));
    }

    [Test]
    public void An_empty_stream_is_complete()
    {
        Assert.That(CopyRewriting.Run(Text, FakeFieldMasker.Secrets()), Is.Empty);
    }
}
