using System.Text;
using HoopProxy.Ssh.Shell;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh;

/// <summary>A shell without a terminal reads its standard input as a script: lines end at newlines, nothing edits them.</summary>
[TestFixture]
public sealed class TypedLineScriptTests
{
    private static TypedLine Entered(string text, Uncertainty uncertainty = Uncertainty.None) => new(text, TypedLineEnd.Entered, uncertainty);

    [Test]
    public void Lines_end_at_newlines_across_messages_and_a_final_CR_is_dropped()
    {
        var reader = new ScriptLineReader();
        var lines = new List<TypedLine>();
        reader.ReadInput("echo a\nec"u8, lines);
        reader.ReadInput("ho b\r\n\nx\u007fy\tz\n"u8, lines);
        Assert.That(lines, Is.EqualTo(new[] { Entered("echo a"), Entered("echo b"), Entered("x\u007fy\tz") }),
            "no terminal, no line editing: DEL and Tab are characters of the line");
    }

    [Test]
    public void UTF_8_split_across_messages_is_decoded_and_invalid_bytes_are_replaced()
    {
        var reader = new ScriptLineReader();
        var lines = new List<TypedLine>();
        var euro = Encoding.UTF8.GetBytes("€");
        reader.ReadInput(euro.AsSpan(0, 2), lines);
        reader.ReadInput([euro[2], 0xFF, (byte)'\n'], lines);
        Assert.That(lines, Is.EqualTo(new[] { Entered("€\uFFFD") }));
    }

    [Test]
    public void A_long_line_keeps_its_start_and_the_rest_of_the_input_is_read_on()
    {
        var reader = new ScriptLineReader(maxLineLength: 8);
        var lines = new List<TypedLine>();
        reader.ReadInput("0123456789"u8, lines);
        reader.ReadInput("abc\nok\n12345678\n"u8, lines);
        Assert.That(lines, Is.EqualTo(new[] { Entered("01234567", Uncertainty.Truncated), Entered("ok"), Entered("12345678") }));
    }

    [Test]
    public void The_last_line_without_a_newline_is_reported_unfinished_at_the_close()
    {
        var reader = new ScriptLineReader();
        var lines = new List<TypedLine>();
        reader.ReadInput("ls\nrm -rf /tmp/x"u8, lines);
        reader.Finish(lines);
        Assert.That(lines, Is.EqualTo(new[] { Entered("ls"), new TypedLine("rm -rf /tmp/x", TypedLineEnd.Unfinished, Uncertainty.None) }));
    }
}
