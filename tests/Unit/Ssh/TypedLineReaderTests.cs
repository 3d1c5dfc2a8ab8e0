using System.Text;
using HoopProxy.Ssh.Shell;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh;

/// <summary>
/// The keystroke line reader against key sequences as terminals send them (xterm, tmux, Debian's inputrc bindings):
/// editing, escape sequences and characters split across messages, history, reverse search, pastes, full-screen
/// programs, password prompts, uncertainty and bounds.
/// </summary>
[TestFixture]
public sealed class TypedLineReaderTests
{
    private const string Esc = "\u001b";
    private const string Left = Esc + "[D";
    private const string Right = Esc + "[C";
    private const string Up = Esc + "[A";
    private const string Down = Esc + "[B";
    private const string Backspace = "\u007f";
    private const string PasteStart = Esc + "[200~";
    private const string PasteEnd = Esc + "[201~";

    /// <summary>Each argument is one CHANNEL_DATA message from the client.</summary>
    private static List<TypedLine> Type(TypedLineReader reader, params string[] messages)
    {
        var lines = new List<TypedLine>();
        foreach (var message in messages)
        {
            reader.ReadInput(Encoding.UTF8.GetBytes(message), lines);
        }

        return lines;
    }

    private static List<TypedLine> Type(params string[] messages) => Type(new TypedLineReader(), messages);

    private static TypedLine Entered(string text, Uncertainty uncertainty = Uncertainty.None) => new(text, TypedLineEnd.Entered, uncertainty);

    [Test]
    public void Typed_text_ends_at_Enter_and_CR_LF_counts_once()
    {
        Assert.That(Type("ls -l\r", "pwd\r\n", "id\n", "\r\n\r"), Is.EqualTo(new[] { Entered("ls -l"), Entered("pwd"), Entered("id") }),
            "empty lines run nothing and are not reported");
    }

    [Test]
    public void Backspace_as_DEL_or_Ctrl_H_deletes_before_the_cursor()
    {
        Assert.That(Type("lss" + Backspace + " -x\b" + "l\r"), Is.EqualTo(new[] { Entered("ls -l") }));
        Assert.That(Type(Backspace + Backspace + "a\r"), Is.EqualTo(new[] { Entered("a") }), "nothing to delete at the start");
    }

    [TestCase(Esc + "[H")]
    [TestCase(Esc + "OH")]
    [TestCase(Esc + "[1~")]
    [TestCase(Esc + "[7~")]
    [TestCase("\u0001")]
    public void Home_in_every_spelling_moves_to_the_start(string home)
    {
        Assert.That(Type("cho hi" + home + "e\r"), Is.EqualTo(new[] { Entered("echo hi") }));
    }

    [TestCase(Esc + "[F", Esc + "[D")]
    [TestCase(Esc + "OF", Esc + "OD")]
    [TestCase(Esc + "[4~", "\u0002")]
    [TestCase("\u0005", Esc + "[D")]
    public void End_and_Left_in_every_spelling(string end, string left)
    {
        // Two steps left, then End returns to the end of the line.
        Assert.That(Type("echo h" + left + left + end + "i\r"), Is.EqualTo(new[] { Entered("echo hi") }));
        Assert.That(Type("ecoh" + left + left + "h" + Right + Esc + "[3~\r"), Is.EqualTo(new[] { Entered("echo") }),
            "insert at the cursor, Right, then Delete removes the character at the cursor");
    }

    [Test]
    public void Arrow_keys_in_application_cursor_mode_and_Ctrl_B_Ctrl_F()
    {
        Assert.That(Type("ct /etc/hosts" + Esc + "OD" + "\u0001" + "\u0006" + "a\r"), Is.EqualTo(new[] { Entered("cat /etc/hosts") }));
    }

    [Test]
    public void Kill_commands_and_yank_follow_readline()
    {
        Assert.That(Type("garbage" + "\u0015" + "echo ok\r"), Is.EqualTo(new[] { Entered("echo ok") }), "Ctrl-U kills to the start");
        Assert.That(Type("echo ok; rm -rf x" + string.Concat(Enumerable.Repeat(Left, 10)) + "\u000b\r"),
            Is.EqualTo(new[] { Entered("echo ok") }), "Ctrl-K kills to the end");
        Assert.That(Type("cp a/b  c/d" + "\u0017" + "e\r"), Is.EqualTo(new[] { Entered("cp a/b  e") }), "Ctrl-W kills back to whitespace");
        Assert.That(Type("one two three" + "\u0017\u0017" + "x " + "\u0019\r"), Is.EqualTo(new[] { Entered("one x two three") }),
            "consecutive kills join, and Ctrl-Y brings them back");
        Assert.That(Type("a b" + "\u0017" + "c" + "\u0017" + "\u0019\u0019\r"), Is.EqualTo(new[] { Entered("a cc") }),
            "a kill after other keys starts a new kill ring entry");
    }

    [Test]
    public void Word_motion_and_word_kills_use_letters_and_digits()
    {
        var ctrlLeft = Esc + "[1;5D";
        var ctrlRight = Esc + "[1;5C";
        Assert.That(Type("git commit -m x" + ctrlLeft + ctrlLeft + ctrlLeft + "\u0004\u0004\u0004\u0004\u0004\u0004" + "push\r"),
            Is.EqualTo(new[] { Entered("git push -m x") }), "Ctrl-Left goes word by word; Ctrl-D deletes forward");
        Assert.That(Type("one two three" + "\u0001" + ctrlRight + Esc + "[1;3C" + Esc + "d" + "\r"), Is.EqualTo(new[] { Entered("one two") }),
            "Ctrl-Right, Alt-Right, then Alt-d kills the next word");
        Assert.That(Type("one two-three" + Esc + "b" + Esc + "b" + Esc + "f" + "X\r"), Is.EqualTo(new[] { Entered("one twoX-three") }), "Alt-b, Alt-f");
        Assert.That(Type("rm -rf /tmp/x" + Esc + Backspace + "y\r"), Is.EqualTo(new[] { Entered("rm -rf /tmp/y") }), "Alt-Backspace");
        Assert.That(Type("a b c" + Esc + "[5D" + Esc + Esc + "[D" + "X\r"), Is.EqualTo(new[] { Entered("a Xb c") }),
            "Debian's ESC[5D and ESC ESC [D are backward-word");
    }

    [Test]
    public void Ctrl_T_transposes_characters()
    {
        Assert.That(Type("sl\u0014\r"), Is.EqualTo(new[] { Entered("ls") }), "at the end: the last two");
        Assert.That(Type("gerp" + Left + Left + "\u0014\r"), Is.EqualTo(new[] { Entered("grep") }));
    }

    [Test]
    public void Sequences_and_characters_split_across_messages_are_completed()
    {
        Assert.That(Type("ls", Esc, "[", "D", "x", Esc + "[3", "~\r"), Is.EqualTo(new[] { Entered("lx") }));
        var euro = Encoding.UTF8.GetBytes("€");
        var reader = new TypedLineReader();
        var lines = new List<TypedLine>();
        reader.ReadInput("echo "u8, lines);
        reader.ReadInput(euro.AsSpan(0, 1), lines);
        reader.ReadInput(euro.AsSpan(1, 1), lines);
        reader.ReadInput([euro[2], (byte)'\r'], lines);
        Assert.That(lines, Is.EqualTo(new[] { Entered("echo €") }));
        Assert.That(Type(PasteStart[..3], PasteStart[3..] + "a\rb" + PasteEnd[..4], PasteEnd[4..] + "\r"), Is.EqualTo(new[] { Entered("a"), Entered("b") }));
    }

    [Test]
    public void Non_ASCII_text_moves_and_deletes_by_character()
    {
        Assert.That(Type("echo 😀é" + Backspace + Left + "x\r"), Is.EqualTo(new[] { Entered("echo x😀") }));
        var lines = new List<TypedLine>();
        new TypedLineReader().ReadInput([0xFF, (byte)'a', 0xC3, (byte)'b', (byte)'\r'], lines);
        Assert.That(lines, Is.EqualTo(new[] { Entered("\uFFFDa\uFFFDb") }), "invalid UTF-8 becomes U+FFFD");
    }

    [Test]
    public void Ctrl_C_cancels_the_line_and_Ctrl_D_ends_input_only_on_an_empty_line()
    {
        Assert.That(Type("rm -rf /\u0003", "\u0003", "ls\r"),
            Is.EqualTo(new[] { new TypedLine("rm -rf /", TypedLineEnd.Cancelled, Uncertainty.None), Entered("ls") }));
        Assert.That(Type("\u0004", "abc" + Left + Left + "\u0004\r"), Is.EqualTo(new[] { Entered("ac") }));
    }

    [Test]
    public void Up_and_Down_follow_the_lines_of_this_session_and_mark_them_uncertain()
    {
        var reader = new TypedLineReader();
        Assert.That(Type(reader, "echo one\r", "echo two\r", "draft", Up, Up, "\r"), Is.EqualTo(new[]
        {
            Entered("echo one"), Entered("echo two"), Entered("echo one", Uncertainty.History),
        }));
        Assert.That(Type(reader, "new", Up, Up, Down, Down, "!\r"), Is.EqualTo(new[] { Entered("new!") }),
            "back down to the line being typed, as it was");
        Assert.That(Type(reader, Up + " | wc\r"), Is.EqualTo(new[] { Entered("new! | wc", Uncertainty.History) }), "a recalled line edited");
        Assert.That(Type(reader, "\u0010\u0010\u000e\r"), Is.EqualTo(new[] { Entered("new! | wc", Uncertainty.History) }), "Ctrl-P and Ctrl-N");
    }

    [Test]
    public void Up_past_this_sessions_first_line_recalls_a_line_the_proxy_has_not_seen()
    {
        var reader = new TypedLineReader();
        Assert.That(Type(reader, Up + "\r"), Is.EqualTo(new[] { Entered("", Uncertainty.UnseenHistory) }));
        Assert.That(Type(reader, "ls\r", "typing", Up, Up, Up, Down, Down, "\r"), Is.EqualTo(new[] { Entered("ls"), Entered("ls", Uncertainty.History) }));
        Assert.That(Type(reader, "x", Up, Up, Down, Down, "\r"), Is.EqualTo(new[] { Entered("x") }));
    }

    [Test]
    public void History_leaves_out_what_ignoreboth_leaves_out()
    {
        var reader = new TypedLineReader();
        Assert.That(Type(reader, "echo a\r", "echo b\r", "echo b\r", " secret\r", Up, Up, "\r").Last(), Is.EqualTo(Entered("echo a", Uncertainty.History)));
    }

    [Test]
    public void Ctrl_R_searches_this_sessions_lines()
    {
        var reader = new TypedLineReader();
        var lines = Type(reader, "ssh db1\r", "ls /var/log\r", "vim notes\r", "\u0012" + "log" + "\u0005" + " | less\r");
        Assert.That(lines.Last(), Is.EqualTo(Entered("ls /var/log | less", Uncertainty.HistorySearch)),
            "a key that is no search key ends the search and acts on the line found");

        Assert.That(Type(reader, "\u0012l\u0012\r"), Is.EqualTo(new[] { Entered("ls /var/log", Uncertainty.HistorySearch) }),
            "Ctrl-R again finds older matches");
        Assert.That(Type(reader, "kept" + "\u0012zzz\r"), Is.EqualTo(new[] { Entered("kept", Uncertainty.HistorySearch) }),
            "no match here; the shell may have found one in its own history");
        Assert.That(Type(reader, "\u0012notes-and-more\r"), Is.EqualTo(new[] { Entered("vim notes", Uncertainty.HistorySearch) }),
            "a search that stops matching keeps the last line it found, as readline shows it");
        Assert.That(Type(reader, "kept" + "\u0012ssh\u0007!\r"), Is.EqualTo(new[] { Entered("kept!") }), "Ctrl-G leaves the line as it was");
        Assert.That(Type(reader, "\u0012vin" + Backspace + "m\r"), Is.EqualTo(new[] { Entered("vim notes", Uncertainty.HistorySearch) }),
            "Backspace edits the search text");
    }

    [Test]
    public void Tab_completion_is_not_followed_and_says_so()
    {
        var lines = Type("cat /etc/hostn\t\r");
        Assert.That(lines, Is.EqualTo(new[] { Entered("cat /etc/hostn", Uncertainty.Completion) }));
        Assert.That(Type("\t\r"), Is.EqualTo(new[] { Entered("", Uncertainty.Completion) }), "even an empty line may have been completed into a command");
        Assert.That(TypedLine.Describe(Uncertainty.Completion | Uncertainty.History, 10), Does.Contain("Tab completion").And.Contain("history"));
    }

    [Test]
    public void A_bracketed_paste_is_text_and_each_newline_in_it_ends_a_line()
    {
        Assert.That(Type("echo " + PasteStart + "a\tb\u0003" + Left + "\rls -l\nwhoami" + PasteEnd + " me\r"), Is.EqualTo(new[]
        {
            Entered("echo a\tb\u0003" + Left), Entered("ls -l"), Entered("whoami me"),
        }), "Tab, Ctrl-C and escape sequences inside a paste are pasted characters");
    }

    [Test]
    public void Keystrokes_for_a_full_screen_program_are_not_command_lines()
    {
        var reader = new TypedLineReader();
        var lines = Type(reader, "vim notes\r", "ihello");
        reader.ReadOutput(Encoding.UTF8.GetBytes(Esc + "[?1049h" + Esc + "[22;0;0t" + Esc + "[?1h" + Esc + "="));
        lines.AddRange(Type(reader, "rm -rf /\r", Esc + ":wq\r"));
        reader.ReadOutput(Encoding.UTF8.GetBytes(Esc + "[?10"));
        reader.ReadOutput(Encoding.UTF8.GetBytes("49l" + Esc + "[?1l" + Esc + ">$ "));
        lines.AddRange(Type(reader, "ls\r"));
        Assert.That(lines, Is.EqualTo(new[] { Entered("vim notes"), Entered("ls") }),
            "what was typed ahead of the switch went to vim too; the sequence that ends the full screen was split");

        reader.ReadOutput(Encoding.UTF8.GetBytes(Esc + "[?47h"));
        Assert.That(reader.Suspended, Is.True);
        reader.ReadOutput(Encoding.UTF8.GetBytes(Esc + "c"));
        Assert.That(reader.Suspended, Is.False, "a full reset (the reset command) returns to the normal screen");
    }

    [Test]
    public void A_line_typed_at_a_password_prompt_that_echoes_nothing_is_marked()
    {
        var reader = new TypedLineReader();
        reader.ReadOutput("$ "u8);
        var lines = Type(reader, "sudo -k true\r");
        reader.ReadOutput("\r\n[sudo] password for alice: "u8);
        lines.AddRange(Type(reader, "hunter2", "\r"));
        Assert.That(lines.Select(l => (l.Text, l.AtPasswordPrompt)), Is.EqualTo(new[] { ("sudo -k true", false), ("hunter2", true) }));

        reader.ReadOutput("\r\n$ "u8);
        lines = Type(reader, Up + "\r");
        Assert.That(lines.Single().Text, Is.EqualTo("sudo -k true"), "a password is no entry of the shell's history");

        reader.ReadOutput(Encoding.UTF8.GetBytes("\r\n" + Esc + "]0;alice@web: ~\u0007" + Esc + "[1mEnter PASSWORD" + Esc + "[0m:  "));
        lines = Type(reader, "x");
        reader.ReadOutput("x"u8);
        lines.AddRange(Type(reader, "\r"));
        Assert.That(lines.Single().AtPasswordPrompt, Is.False, "the prompt looks like one, but the terminal echoed the typing");
    }

    [Test]
    public void Terminal_reports_are_no_keys_and_unknown_keys_make_the_line_uncertain()
    {
        Assert.That(Type("ls" + Esc + "[12;40R" + Esc + "[?1;2c" + Esc + "[I" + Esc + "]11;rgb:0000/0000/0000" + Esc + "\\" + Esc + "P1$r0m" + Esc + "\\\r"),
            Is.EqualTo(new[] { Entered("ls") }));
        Assert.That(Type("ls" + Esc + "[5~\r"), Is.EqualTo(new[] { Entered("ls", Uncertainty.UnknownKey) }), "Page Up");
        Assert.That(Type("ls\u001f\r"), Is.EqualTo(new[] { Entered("ls", Uncertainty.UnknownKey) }), "Ctrl-_ (undo)");
        Assert.That(Type("ls" + Esc + ".\r"), Is.EqualTo(new[] { Entered("ls", Uncertainty.UnknownKey) }), "Alt-. (yank-last-arg)");
        Assert.That(Type("ls" + Esc + "[1;2D\r"), Is.EqualTo(new[] { Entered("ls", Uncertainty.UnknownKey) }), "Shift-Left");
        Assert.That(Type("ls" + Esc + "[" + new string('1', 100) + "D\r"), Is.EqualTo(new[] { Entered("ls", Uncertainty.UnknownKey) }), "an overlong sequence");
    }

    [Test]
    public void Quoted_insert_takes_the_next_key_literally()
    {
        Assert.That(Type("a\u0016\tb\u0016\u0003c" + Esc + "[2~\r" + "\r"), Is.EqualTo(new[] { Entered("a\tb\u0003c\r") }));
    }

    [Test]
    public void Alt_hash_comments_the_line_out_and_enters_it()
    {
        Assert.That(Type("rm -rf /" + Esc + "#"), Is.EqualTo(new[] { Entered("#rm -rf /") }));
    }

    [Test]
    public void A_line_longer_than_the_limit_keeps_its_start_and_says_so()
    {
        var reader = new TypedLineReader(maxLineLength: 16);
        Assert.That(Type(reader, "0123456789", "abcdefXYZ\r", "short\r"), Is.EqualTo(new[]
        {
            Entered("0123456789abcdef", Uncertainty.Truncated), Entered("short"),
        }));
        Assert.That(Type(reader, "0123456789abcde😀\r").Single(), Is.EqualTo(Entered("0123456789abcde", Uncertainty.Truncated)),
            "a surrogate pair is not split");
    }

    [Test]
    public void Bulk_input_through_a_terminal_is_read_in_one_pass_with_bounded_memory()
    {
        var reader = new TypedLineReader();
        var block = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a line of text piped through a pty\r", 1000)));
        var lines = new List<TypedLine>();
        for (var i = 0; i < 100; i++)
        {
            reader.ReadInput(block, lines);
        }

        Assert.That(lines, Has.Count.EqualTo(100_000));
        Assert.That(lines.Distinct().Single(), Is.EqualTo(Entered("a line of text piped through a pty")));

        var oneHugeLine = new byte[8 * 1024 * 1024];
        oneHugeLine.AsSpan().Fill((byte)'x');
        lines.Clear();
        reader.ReadInput(oneHugeLine, lines);
        reader.ReadInput("\r"u8, lines);
        Assert.That(lines.Single().Text, Has.Length.EqualTo(TypedLineReader.DefaultMaxLineLength));
        Assert.That(lines.Single().Uncertainty, Is.EqualTo(Uncertainty.Truncated));
    }

    [Test]
    public void The_unfinished_line_is_reported_when_the_channel_closes()
    {
        var reader = new TypedLineReader();
        var lines = Type(reader, "ls\r", "half typed");
        reader.Finish(lines);
        Assert.That(lines, Is.EqualTo(new[] { Entered("ls"), new TypedLine("half typed", TypedLineEnd.Unfinished, Uncertainty.None) }));
    }
}
