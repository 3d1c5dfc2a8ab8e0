using System.Text;
using System.Text.Json;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Sessions.Ssh;
using HoopProxy.Tests.Unit.Recording;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Sessions;

/// <summary><c>sessions export --format asciicast</c>: the header, the events, and text that stays whole across records.</summary>
public sealed class AsciicastExportTests
{
    private RecordingFixture _fixture = null!;

    [SetUp]
    public void CreateFixture() => _fixture = new RecordingFixture();

    [TearDown]
    public void DeleteFixture() => _fixture.Dispose();

    [Test]
    public async Task The_header_describes_the_terminal_and_the_events_are_its_output_and_resizes_at_their_times()
    {
        System.Diagnostics.Stopwatch pause;
        await using (var store = await _fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "cast");
            await ssh.OpenAsync(0);
            await ssh.ExecAsync(0, "uptime");
            await ssh.OutputAsync(0, "not this channel");
            await ssh.OpenAsync(1);
            pause = System.Diagnostics.Stopwatch.StartNew();
            await ssh.PtyAsync(1, "xterm-256color", 120, 40);
            await ssh.ShellAsync(1);
            await Task.Delay(20);
            pause.Stop();
            await ssh.OutputAsync(1, "$ ");
            await ssh.InputAsync(1, "ls\r");
            await ssh.WindowChangeAsync(1, 100, 30);
            await ssh.StderrAsync(1, "oops\r\n");
            await ssh.OutputAsync(1, "\"quoted\" \\ \e[1mbold\e[0m\r\n");
            await ssh.CompleteAsync();
        }

        var (code, lines, errors) = Export(new AsciicastRequest("cast"));

        Assert.That(code, Is.Zero, errors);
        var reader = new RecordingReader(_fixture.SessionPath("cast"));
        var records = reader.ReadRecords().ToList();
        var opened = records.Where(r => r.EventType == "channel-open").ElementAt(1).Elapsed;
        using var header = JsonDocument.Parse(lines[0]);
        Assert.That(header.RootElement.GetRawText(), Is.EqualTo(
            $$$"""{"version":2,"width":120,"height":40,"timestamp":{{{(reader.RecordingStartedAt + opened).ToUnixTimeSeconds()}}},"title":"alice@web: shell","env":{"TERM":"xterm-256color"}}"""));

        var events = lines.Skip(1).Select(Event).ToList();
        Assert.That(events.Select(e => (e.Code, e.Data)), Is.EqualTo(new[]
        {
            ("o", "$ "),
            ("r", "100x30"),
            ("o", "oops\r\n"),
            ("o", "\"quoted\" \\ \e[1mbold\e[0m\r\n"),
        }));
        // Times count from the channel's opening, to the microsecond (half a microsecond up).
        var outputTimes = records.Where(r => r.Type == RecordType.Data && r.Direction == RecordDirection.ServerToClient).Skip(1)
            .Select(r => ((r.Elapsed - opened).Ticks + 5) / 10 / 1e6).ToList();
        Assert.That(events.Where(e => e.Code == "o").Select(e => e.Time), Is.EqualTo(outputTimes));
        // The open is stamped before the watch starts and the prompt after it stops, so the cast's first time is at least
        // the watched pause (a timer may end a 20 ms delay a little early on a busy machine, hence no fixed figure).
        Assert.That(events[0].Time, Is.GreaterThanOrEqualTo(Math.Floor(pause.Elapsed.TotalSeconds * 1e6) / 1e6), "the pause before the prompt is kept");
        Assert.That(events.Select(e => e.Time), Is.Ordered);
    }

    [Test]
    public async Task Input_is_in_the_cast_only_when_asked_for()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "typed");
            await ssh.OpenAsync(0);
            await ssh.PtyAsync(0, "vt100", 80, 24);
            await ssh.ShellAsync(0);
            await ssh.OutputAsync(0, "$ ");
            await ssh.InputAsync(0, "l");
            await ssh.OutputAsync(0, "l");
            await ssh.CompleteAsync();
        }

        var (_, plain, _) = Export(new AsciicastRequest("typed"));
        var (code, withInput, errors) = Export(new AsciicastRequest("typed", WithInput: true));

        Assert.That(code, Is.Zero, errors);
        Assert.That(plain.Skip(1).Select(l => Event(l).Code), Is.EqualTo(new[] { "o", "o" }));
        Assert.That(withInput.Skip(1).Select(l => (Event(l).Code, Event(l).Data)), Is.EqualTo(new[] { ("o", "$ "), ("i", "l"), ("o", "l") }));
    }

    [Test]
    public async Task Characters_cut_between_records_are_written_whole_and_invalid_bytes_become_replacement_characters()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "utf8");
            await ssh.OpenAsync(0);
            await ssh.ExecAsync(0, "cat menu.txt");
            await ssh.OutputAsync(0, [.. "caf"u8, 0xC3]);      // é is C3 A9
            await ssh.OutputAsync(0, [0xA9, .. " "u8, 0xE2]);  // € is E2 82 AC, cut twice
            await ssh.OutputAsync(0, [0x82]);
            await ssh.StderrAsync(0, "warn");                  // another stream between the pieces keeps its own
            await ssh.OutputAsync(0, [0xAC, .. " x"u8, 0xFF, .. "y"u8]);
            await ssh.OutputAsync(0, [.. "end"u8, 0xF0, 0x9F]); // the session ends inside a 4-byte character
            await ssh.CompleteAsync();
        }

        var (code, lines, errors) = Export(new AsciicastRequest("utf8"));

        Assert.That(code, Is.Zero, errors);
        var events = lines.Skip(1).Select(Event).ToList();
        Assert.That(events.Select(e => e.Data), Is.EqualTo(new[] { "caf", "é ", "warn", "€ x\uFFFDy", "end", "\uFFFD" }));
        Assert.That(events[^1].Time, Is.EqualTo(events[^2].Time), "the dangling bytes are flushed at the time of the last event");
        Assert.That(JsonDocument.Parse(lines[0]).RootElement.TryGetProperty("env", out _), Is.False, "an exec without a pty has no TERM");
        Assert.That(lines[0], Does.Contain("\"width\":80,\"height\":24").And.Contain("\"title\":\"alice@web: cat menu.txt\""));
    }

    [Test]
    public async Task The_file_is_valid_utf8_with_non_ascii_text_unescaped()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "plain");
            await ssh.OpenAsync(0);
            await ssh.ExecAsync(0, "echo");
            await ssh.OutputAsync(0, "Grüße ✓\n");
            await ssh.CompleteAsync();
        }

        using var output = new MemoryStream();
        using var errors = new StringWriter();
        Assert.That(AsciicastExport.Run(_fixture.Options, new AsciicastRequest("plain"), () => output, errors), Is.Zero, errors.ToString());

        var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(output.ToArray());
        Assert.That(text, Does.Contain("\"Grüße ✓\\n\"").And.EndWith("\n"));
    }

    [Test]
    public async Task A_postgres_session_is_refused()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await RecordingFixture.WriteShortSessionAsync(store, "pg");
        }

        var opened = false;
        using var errors = new StringWriter();
        var code = AsciicastExport.Run(_fixture.Options, new AsciicastRequest("pg"), () =>
        {
            opened = true;
            return new MemoryStream();
        }, errors);

        Assert.That(code, Is.EqualTo(1));
        Assert.That(opened, Is.False, "nothing is written for a refused session");
        Assert.That(errors.ToString(), Does.Contain("session pg is a postgres session; the asciicast export takes SSH terminal sessions — use show"));
    }

    private static (double Time, string Code, string Data) Event(string line)
    {
        using var json = JsonDocument.Parse(line);
        var array = json.RootElement;
        Assert.That(array.GetArrayLength(), Is.EqualTo(3), line);
        return (array[0].GetDouble(), array[1].GetString()!, array[2].GetString()!);
    }

    private (int Code, string[] Lines, string Errors) Export(AsciicastRequest request)
    {
        using var output = new MemoryStream();
        using var errors = new StringWriter();
        var code = AsciicastExport.Run(_fixture.Options, request, () => output, errors);
        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return (code, lines, errors.ToString());
    }
}
